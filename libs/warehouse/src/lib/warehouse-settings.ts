import type { DataSource } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { z } from 'zod';
import { endpointEnv, kafkaSecurityEnv, LOCAL_DEFAULT_PASSWORDS } from '@pipeline/config';

/** Lower-case unquoted PostgreSQL identifier: safe in DDL and in a `-c search_path=` connection option. */
const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** NOLOGIN role holding read access to the warehouse schema; BI logins are members of it. */
export const WAREHOUSE_READER_ROLE = 'warehouse_reader';
/** The LOGIN user BI tools connect with (member of WAREHOUSE_READER_ROLE). */
export const BI_READER_LOGIN = 'bi_reader';
/** Local-stack password of BI_READER_LOGIN; set WAREHOUSE_BI_READER_PASSWORD anywhere else. */
export const DEFAULT_BI_READER_PASSWORD = LOCAL_DEFAULT_PASSWORDS.biReader;
/** A BI query running longer is cancelled (SQLSTATE 57014): one dashboard cannot hold the warehouse. */
export const BI_READER_STATEMENT_TIMEOUT = '30s';
/**
 * NOLOGIN role with DML (SELECT, INSERT, UPDATE, DELETE) on the warehouse schema's tables and
 * nothing else; the sink lands as it (`SET ROLE` through its connections' options).
 */
export const WAREHOUSE_WRITER_ROLE = 'warehouse_writer';
/**
 * A LOGIN member of WAREHOUSE_WRITER_ROLE and nothing else: what the sink signs in as when another job
 * migrates (WAREHOUSE_MIGRATE_ON_START=false), so the long-running sink never holds the owner's password.
 */
export const WAREHOUSE_SINK_LOGIN = 'warehouse_sink';
/** Local-stack password of WAREHOUSE_SINK_LOGIN; an administrator sets another anywhere else. */
export const DEFAULT_WAREHOUSE_SINK_PASSWORD = LOCAL_DEFAULT_PASSWORDS.warehouseSink;
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
    .optional()
    .describe(`password of the read-only ${BI_READER_LOGIN} login for BI tools; unset: an existing login keeps its password`),
  NODE_ENV: kafkaSecurityEnv.NODE_ENV,
};

export type WarehouseEnv = z.infer<z.ZodObject<typeof warehouseEnv>>;

export interface WarehouseSettings {
  databaseUrl: string;
  /** PostgreSQL schema the tables live in (and the migrations table). */
  schema: string;
  /** Set: the BI login's password is made this one. Unset: an existing login keeps its password. */
  biReaderPassword?: string;
  /**
   * Password a BI login created now gets when none is set: the local default outside production,
   * none in production (the login then cannot sign in until an administrator sets one).
   */
  biReaderPasswordIfCreated?: string;
}

export function warehouseSettingsFrom(env: WarehouseEnv): WarehouseSettings {
  const local = env.NODE_ENV !== 'production';
  return {
    databaseUrl: env.DATABASE_URL,
    schema: env.WAREHOUSE_SCHEMA,
    ...(env.WAREHOUSE_BI_READER_PASSWORD !== undefined ? { biReaderPassword: env.WAREHOUSE_BI_READER_PASSWORD } : {}),
    ...(local ? { biReaderPasswordIfCreated: DEFAULT_BI_READER_PASSWORD } : {}),
  };
}

/** Double-quoted PostgreSQL identifier. */
export function quoteIdentifier(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

/** The schema a warehouse data source (or a migration's query runner connection) is bound to. */
export function warehouseSchemaOf(dataSource: Pick<DataSource, 'options'>): string {
  return (dataSource.options as PostgresConnectionOptions).schema ?? 'public';
}
