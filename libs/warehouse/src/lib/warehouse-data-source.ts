// TypeORM loads its driver by name at runtime; importing it keeps pg in each app's generated package.json.
import 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { warehouseMigrations } from './migrations';
import { MIGRATIONS_TABLE, warehouseSchemaName, type WarehouseSettings } from './warehouse-settings';

/** The warehouse connection. Entities and migrations are added by the warehouse schema. */
export function createWarehouseDataSource(databaseUrl: string, options: Partial<DataSourceOptions> = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url: databaseUrl,
    applicationName: 'pipeline',
    // Schema changes only ever come from migrations, never from entity sync.
    synchronize: false,
    ...options,
  } as DataSourceOptions);
}

/**
 * The warehouse in one PostgreSQL schema: every connection's search_path is that schema only,
 * so the contracts' unqualified table names resolve there and nothing can land in another
 * schema; TypeORM tracks the applied migrations in the same schema.
 */
export function createWarehouseSchemaDataSource(
  settings: Pick<WarehouseSettings, 'databaseUrl' | 'schema'>,
  options: Partial<PostgresConnectionOptions> = {},
  /** Run every session as this role (`-c role=`), e.g. WAREHOUSE_WRITER_ROLE for landing. */
  role?: string,
): DataSource {
  const parsed = warehouseSchemaName.safeParse(settings.schema);
  if (!parsed.success) throw new RangeError(`warehouse schema "${settings.schema}" ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
  const schema = parsed.data;
  return createWarehouseDataSource(settings.databaseUrl, {
    schema,
    migrations: warehouseMigrations,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'all',
    ...options,
    extra: { ...options.extra, options: `-c search_path=${schema}${role === undefined ? '' : ` -c role=${roleName(role)}`}` },
  });
}

function roleName(role: string): string {
  if (!warehouseSchemaName.safeParse(role).success) throw new RangeError(`role "${role}" must be a lower-case PostgreSQL identifier`);
  return role;
}

/** Health probe of the warehouse: a kept TypeORM connection answers SELECT 1. */
export function postgresDependency(databaseUrl: string) {
  const dataSource = createWarehouseDataSource(databaseUrl, { extra: { max: 1, connectionTimeoutMillis: 2000 } });
  return {
    name: 'postgres',
    async check(): Promise<void> {
      if (!dataSource.isInitialized) await dataSource.initialize();
      await dataSource.query('SELECT 1');
    },
    async close(): Promise<void> {
      if (dataSource.isInitialized) await dataSource.destroy();
    },
  };
}
