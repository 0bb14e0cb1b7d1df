import { createKafkaClient, createSchemaRegistry, parseBrokerList } from '@pipeline/kafka';
import { runWarehouseMigrations } from '../migrate';
import { createWarehouseSchemaDataSource } from '../warehouse-data-source';
import type { WarehouseSettings } from '../warehouse-settings';
import { startWarehouseSink, type RunningWarehouseSink, type WarehouseSinkOptions } from './warehouse-sink';

export interface WarehouseSinkSettings extends WarehouseSettings {
  kafkaBrokers: string;
  schemaRegistryUrl: string;
  groupId: string;
  clientId: string;
}

export interface LaunchedWarehouseSink extends RunningWarehouseSink {
  /** Migrations this start applied (empty when the schema was up to date). */
  readonly appliedMigrations: readonly string[];
}

/**
 * The warehouse-sink service in one call: open the warehouse schema, migrate it, then start
 * consuming. stop() finishes the in-flight batch, then closes the database pool.
 */
export async function launchWarehouseSink(
  settings: WarehouseSinkSettings,
  overrides: Pick<WarehouseSinkOptions, 'routes' | 'deadLetter' | 'fromBeginning' | 'listener'> = {},
): Promise<LaunchedWarehouseSink> {
  const dataSource = createWarehouseSchemaDataSource(settings);
  await dataSource.initialize();
  try {
    const appliedMigrations = await runWarehouseMigrations(dataSource, settings.biReaderPassword);
    const sink = await startWarehouseSink({
      ...overrides,
      kafka: createKafkaClient({ brokers: parseBrokerList(settings.kafkaBrokers), clientId: settings.clientId }),
      registry: createSchemaRegistry(settings.schemaRegistryUrl),
      dataSource,
      groupId: settings.groupId,
    });
    let stopping: Promise<void> | undefined;
    return {
      appliedMigrations,
      counters: sink.counters,
      stop: () => (stopping ??= sink.stop().finally(() => dataSource.destroy())),
    };
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
}
