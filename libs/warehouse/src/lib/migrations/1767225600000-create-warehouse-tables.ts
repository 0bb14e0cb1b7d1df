import type { MigrationInterface, QueryRunner } from 'typeorm';
import { warehouseTables } from '@pipeline/contracts';
import { queryRows } from '../sql';
import { quoteIdentifier, warehouseSchemaOf } from '../warehouse-settings';

/**
 * Every table of the contracts' catalog from its contract-derived DDL (no hand-written DDL).
 * It creates the tables as the contracts define them today, so a later contract change needs
 * a migration of its own written idempotently (CREATE TABLE / ADD COLUMN IF NOT EXISTS): a fresh
 * database already gets the new shape here. The drift check after migrating names what is missing.
 */
export class CreateWarehouseTables1767225600000 implements MigrationInterface {
  readonly name = 'CreateWarehouseTables1767225600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The DDL names tables unqualified; make sure they resolve to the configured schema.
    const schema = warehouseSchemaOf(queryRunner.connection);
    const [current] = await queryRows<{ schema: string | null }>(queryRunner, 'SELECT current_schema() AS schema');
    if (current?.schema !== schema) {
      throw new Error(`tables would land in schema "${current?.schema ?? '(none)'}", not "${schema}": use createWarehouseSchemaDataSource`);
    }
    for (const table of warehouseTables) {
      for (const statement of table.createStatements()) await queryRunner.query(statement);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [...warehouseTables].reverse()) await queryRunner.query(`DROP TABLE IF EXISTS ${quoteIdentifier(table.name)}`);
  }
}
