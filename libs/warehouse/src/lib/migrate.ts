import type { DataSource } from 'typeorm';
import { warehouseTables } from '@pipeline/contracts';
import { WarehouseMigrationError, WarehouseNotMigratedError, WarehouseNotWritableError, WarehouseRoleError, WarehouseSchemaDriftError, type MissingLandingPrivileges } from './errors';
import type { LandingTable } from './landing-route';
import { ensureBiReaderLogin, type BiReaderPasswords } from './read-only-access';
import { queryRows, type SqlRunner } from './sql';
import { createWarehouseSchemaDataSource } from './warehouse-data-source';
import { quoteIdentifier, warehouseSchemaOf, type WarehouseSettings } from './warehouse-settings';

/** Advisory lock key of warehouse migrations: one migrator per database at a time (roles are cluster-wide). */
const MIGRATION_LOCK_KEY = 0x77_68_6d_67; // "whmg"

export interface ExistingColumn {
  table_name: string;
  column_name: string;
  data_type: string;
  /** varchar(n)'s n; null for other types. */
  character_maximum_length?: number | null;
}

/** information_schema spells some types differently from the DDL. */
const INFORMATION_SCHEMA_TYPES: Readonly<Record<string, string>> = { timestamptz: 'timestamp with time zone', varchar: 'character varying' };

function informationSchemaType(sqlType: string): string {
  const base = sqlType.replace(/\(.*\)$/, '');
  return INFORMATION_SCHEMA_TYPES[base] ?? base;
}

/** Every table or column the contracts define that the database lacks or types differently. */
export function tableDriftProblems(tables: readonly Pick<LandingTable, 'name' | 'columns'>[], existing: readonly ExistingColumn[]): string[] {
  const columnsByTable = new Map<string, Map<string, string>>();
  for (const column of existing) {
    const columns = columnsByTable.get(column.table_name) ?? new Map<string, string>();
    const length = column.character_maximum_length;
    columns.set(column.column_name, length === null || length === undefined ? column.data_type : `${column.data_type}(${length})`);
    columnsByTable.set(column.table_name, columns);
  }
  const problems: string[] = [];
  for (const table of tables) {
    const columns = columnsByTable.get(table.name);
    if (!columns) {
      problems.push(`table ${table.name} is missing`);
      continue;
    }
    for (const column of table.columns) {
      const actual = columns.get(column.column);
      const length = /^varchar\((\d+)\)$/.exec(column.sql)?.[1];
      const expected = informationSchemaType(column.sql) + (length ? `(${length})` : '');
      if (actual === undefined) problems.push(`column ${table.name}.${column.column} is missing`);
      else if (actual !== expected) problems.push(`column ${table.name}.${column.column} is ${actual}, the contract says ${expected}`);
    }
  }
  return problems;
}

export async function findTableDrift(runner: SqlRunner, schema: string, tables: readonly Pick<LandingTable, 'name' | 'columns'>[]): Promise<string[]> {
  const existing = await queryRows<ExistingColumn>(runner, 'SELECT table_name, column_name, data_type, character_maximum_length FROM information_schema.columns WHERE table_schema = $1', [schema]);
  return tableDriftProblems(tables, existing);
}

/**
 * Brings a schema-bound warehouse data source (createWarehouseSchemaDataSource, initialised) up to
 * date: creates the schema, runs pending migrations in one transaction, makes sure of the BI login (its password only when one is configured),
 * then checks the tables against the contracts. Returns the names of the migrations it applied.
 * Needs a pool of two connections or more (one holds the lock while TypeORM migrates on another).
 */
export async function runWarehouseMigrations(dataSource: DataSource, biReader: BiReaderPasswords): Promise<string[]> {
  const schema = warehouseSchemaOf(dataSource);
  const session = dataSource.createQueryRunner();
  let locked = false;
  try {
    await session.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    locked = true;
    await session.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
    const applied = await dataSource.runMigrations({ transaction: 'all' });
    await ensureBiReaderLogin(session, biReader);
    const problems = await findTableDrift(session, schema, warehouseTables);
    if (problems.length > 0) throw new WarehouseSchemaDriftError(schema, problems);
    return applied.map((migration) => migration.name);
  } catch (error) {
    throw error instanceof WarehouseSchemaDriftError || error instanceof WarehouseRoleError ? error : new WarehouseMigrationError(schema, error);
  } finally {
    // The pooled connection outlives this call, so the session lock is released explicitly.
    if (locked) await session.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await session.release();
  }
}

/** What landing a batch does to a table: stage, INSERT … ON CONFLICT DO UPDATE (which reads the row it updates). */
const LANDING_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE'] as const;

/** What the session's role lacks to land (each batch is also staged in a temporary table, so TEMPORARY on the database counts). */
export async function findMissingLandingPrivileges(runner: SqlRunner, schema: string, tables: readonly Pick<LandingTable, 'name'>[]): Promise<MissingLandingPrivileges> {
  // One privilege per call: has_table_privilege is true when any one of a comma-separated list is held.
  const rows = await queryRows<{ table_name: string; privilege: string }>(
    runner,
    `SELECT t.name AS table_name, p.privilege FROM unnest($2::text[]) WITH ORDINALITY AS t(name, n) CROSS JOIN unnest($3::text[]) WITH ORDINALITY AS p(privilege, m)
     WHERE NOT has_table_privilege(format('%I.%I', $1::text, t.name), p.privilege) ORDER BY t.n, p.m`,
    [schema, tables.map((table) => table.name), [...LANDING_PRIVILEGES]],
  );
  const [database] = await queryRows<{ name: string; temporary: boolean }>(runner, "SELECT current_database() AS name, has_database_privilege(current_database(), 'TEMPORARY') AS temporary");
  return { tables: rows.map((row) => `${row.privilege} on ${row.table_name}`), ...(database && !database.temporary ? { temporaryOnDatabase: database.name } : {}) };
}

/**
 * For a sink that does not migrate: the tables, as its session sees them, match the contracts, or it throws
 * WarehouseNotMigratedError (a role sees only the columns of tables it holds a privilege on, so a table the
 * writer may not use at all counts as missing too); and its role may land into each of them, or it throws
 * WarehouseNotWritableError. Both are retriable: the sink waits at start, saying which.
 */
export async function requireMigratedWarehouse(runner: SqlRunner, schema: string): Promise<void> {
  const problems = await findTableDrift(runner, schema, warehouseTables);
  if (problems.length > 0) throw new WarehouseNotMigratedError(schema, problems);
  const missing = await findMissingLandingPrivileges(runner, schema, warehouseTables);
  if (missing.tables.length > 0 || missing.temporaryOnDatabase !== undefined) throw new WarehouseNotWritableError(schema, missing);
}

/** The BI login's passwords as the settings give them. */
export function biReaderPasswordsOf(settings: Pick<WarehouseSettings, 'biReaderPassword' | 'biReaderPasswordIfCreated'>): BiReaderPasswords {
  return {
    ...(settings.biReaderPassword !== undefined ? { password: settings.biReaderPassword } : {}),
    ...(settings.biReaderPasswordIfCreated !== undefined ? { passwordIfCreated: settings.biReaderPasswordIfCreated } : {}),
  };
}

/** `npm run warehouse:migrate` and tests: open the warehouse, migrate it, close it. */
export async function migrateWarehouse(settings: WarehouseSettings): Promise<string[]> {
  const dataSource = createWarehouseSchemaDataSource(settings, { extra: { max: 2 } });
  try {
    await dataSource.initialize();
    return await runWarehouseMigrations(dataSource, biReaderPasswordsOf(settings));
  } catch (error) {
    throw error instanceof WarehouseSchemaDriftError || error instanceof WarehouseMigrationError || error instanceof WarehouseRoleError ? error : new WarehouseMigrationError(settings.schema, error);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}
