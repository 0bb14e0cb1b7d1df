import type { MigrationInterface, QueryRunner } from 'typeorm';
import { warehouseTables } from '@pipeline/contracts';
import { grantWriterStatements, revokeWriterStatements } from '../read-only-access';
import { MIGRATIONS_TABLE, warehouseSchemaOf } from '../warehouse-settings';

/**
 * Issue #9: the contracts' bounds reach tables created before them (text -> varchar(n), CHECK of
 * each declared range and of finiteness), and the writer role gets DML on this schema only.
 * Idempotent, so on a fresh database, where the first migration already created the bounded
 * columns, it changes nothing but the grants. A stored value outside a bound fails it, naming the
 * column and constraint: fix or delete that row, then start again.
 */
export class BoundColumnsAndWriterRole1767225600002 implements MigrationInterface {
  readonly name = 'BoundColumnsAndWriterRole1767225600002';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of warehouseTables) {
      for (const statement of table.boundStatements()) await queryRunner.query(statement);
    }
    const migrationsTable = queryRunner.connection.options.migrationsTableName ?? MIGRATIONS_TABLE;
    for (const statement of grantWriterStatements(warehouseSchemaOf(queryRunner.connection), migrationsTable)) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The bounds stay: widening columns back to text would lose nothing but protect nothing either.
    for (const statement of revokeWriterStatements(warehouseSchemaOf(queryRunner.connection))) await queryRunner.query(statement);
  }
}
