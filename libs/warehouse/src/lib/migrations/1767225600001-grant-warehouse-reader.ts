import type { MigrationInterface, QueryRunner } from 'typeorm';
import { grantReaderStatements, revokeReaderStatements } from '../read-only-access';
import { MIGRATIONS_TABLE, warehouseSchemaOf } from '../warehouse-settings';

/** Read-only access for BI tools: the NOLOGIN role warehouse_reader may read every table of the schema. */
export class GrantWarehouseReader1767225600001 implements MigrationInterface {
  readonly name = 'GrantWarehouseReader1767225600001';

  async up(queryRunner: QueryRunner): Promise<void> {
    const migrationsTable = queryRunner.connection.options.migrationsTableName ?? MIGRATIONS_TABLE;
    for (const statement of grantReaderStatements(warehouseSchemaOf(queryRunner.connection), migrationsTable)) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of revokeReaderStatements(warehouseSchemaOf(queryRunner.connection))) await queryRunner.query(statement);
  }
}
