// TypeORM loads its driver by name at runtime; importing it keeps pg in each app's generated package.json.
import 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';

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
