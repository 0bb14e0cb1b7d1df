import type { DataSource } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { z } from 'zod';
import { endpointEnv } from '@pipeline/config';

/** Lower-case unquoted PostgreSQL identifier: safe in DDL and in a `-c search_path=` connection option. */
const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** NOLOGIN role holding read access to the warehouse schema; BI logins are members of it. */
export const WAREHOUSE_READER_ROLE = 'warehouse_reader';
/** The LOGIN user BI tools connect with (member of WAREHOUSE_READER_ROLE). */
export const BI_READER_LOGIN = 'bi_reader';
/** Local-stack password of BI_READER_LOGIN; set WAREHOUSE_BI_READER_PASSWORD anywhere else. */
export const DEFAULT_BI_READER_PASSWORD = 'bi_reader_local';
/** Where TypeORM records applied migrations, inside the warehouse schema. */
export const MIGRATIONS_TABLE = 'warehouse_migrations';

export const warehouseSchemaName = z
  .string()
  .trim()
  .regex(SQL_IDENTIFIER, 'must be a lower-case PostgreSQL identifier: [a-z_][a-z0-9_]*, at most 63 characters');

/** Environment of everything that touches the warehouse tables (the sink and `npm run warehouse:migrate`). */
export const warehouseEnv = {
  DATABASE_URL: endpointEnv.DATABASE_URL,
  WAREHOUSE_SCHEMA: warehouseSchemaName.default('public').describe('PostgreSQL schema of the warehouse tables'),
  WAREHOUSE_BI_READER_PASSWORD: z
    .string()
    .min(8, 'must be at least 8 characters')
    .default(DEFAULT_BI_READER_PASSWORD)
    .describe(`password of the read-only ${BI_READER_LOGIN} login for BI tools`),
};

export type WarehouseEnv = z.infer<z.ZodObject<typeof warehouseEnv>>;

export interface WarehouseSettings {
  databaseUrl: string;
  /** PostgreSQL schema the tables live in (and the migrations table). */
  schema: string;
  biReaderPassword: string;
}

export function warehouseSettingsFrom(env: WarehouseEnv): WarehouseSettings {
  return { databaseUrl: env.DATABASE_URL, schema: env.WAREHOUSE_SCHEMA, biReaderPassword: env.WAREHOUSE_BI_READER_PASSWORD };
}

/** Double-quoted PostgreSQL identifier. */
export function quoteIdentifier(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

/** The schema a warehouse data source (or a migration's query runner connection) is bound to. */
export function warehouseSchemaOf(dataSource: Pick<DataSource, 'options'>): string {
  return (dataSource.options as PostgresConnectionOptions).schema ?? 'public';
}
