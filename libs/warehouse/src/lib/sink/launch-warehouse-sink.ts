import { createKafkaClient, createSchemaRegistry, type KafkaCluster, type KafkaLogSink, type SchemaRegistryConnection } from '@pipeline/kafka';
import { dependingOn, type KafkaStreamServer, type StreamLogger } from '@pipeline/streaming';
import { biReaderPasswordsOf, requireMigratedWarehouse, runWarehouseMigrations } from '../migrate';
import { createWarehouseSchemaDataSource } from '../warehouse-data-source';
import { WAREHOUSE_WRITER_ROLE, type WarehouseSettings } from '../warehouse-settings';
import { createWarehouseSinkServer, type RunningWarehouseSink, type WarehouseSinkHandler, type WarehouseSinkOptions } from './warehouse-sink';

export interface WarehouseSinkSettings extends WarehouseSettings {
  /**
   * True: migrate the schema at start as the owner login of DATABASE_URL. False: another job migrates (`npm run
   * warehouse:migrate` with the owner's URL), DATABASE_URL may be a login in warehouse_writer only, and the sink
   * waits at start until the tables match the contracts. Default true.
   */
  migrateOnStart?: boolean;
  /** Brokers and security, from kafkaClusterFrom. */
  kafka: KafkaCluster;
  /** A plain URL (tests, the local stack) or a connection with credentials, from schemaRegistryFrom. */
  registry: string | SchemaRegistryConnection;
  groupId: string;
  clientId: string;
}

export interface WarehouseSinkService {
  readonly server: KafkaStreamServer;
  readonly handler: WarehouseSinkHandler;
  /** Migrations the start applied (empty when the schema was up to date, or before the start). */
  appliedMigrations(): readonly string[];
}

type SinkOverrides = Pick<WarehouseSinkOptions, 'topics' | 'routes' | 'deadLetter' | 'fromBeginning' | 'listener' | 'stallAfterMs'> & { logger?: StreamLogger; kafkaLog?: KafkaLogSink };

/**
 * The warehouse-sink service as a stream server: before consuming, it opens the warehouse
 * schema and migrates it as the owner login of DATABASE_URL (waiting while PostgreSQL is
 * unreachable), then closes that pool, or, with migrateOnStart false, waits until another job has
 * migrated it; it lands through a pool whose every session is
 * WAREHOUSE_WRITER_ROLE (DML on this schema's tables only). After its last commit on close,
 * it closes the landing pool.
 */
export function warehouseSinkService(settings: WarehouseSinkSettings, overrides: SinkOverrides): WarehouseSinkService {
  const dataSource = createWarehouseSchemaDataSource(settings, {}, WAREHOUSE_WRITER_ROLE);
  const migrateOnStart = settings.migrateOnStart ?? true;
  let applied: readonly string[] = [];
  const { server, handler } = createWarehouseSinkServer({
    ...overrides,
    kafka: createKafkaClient({ ...settings.kafka, clientId: settings.clientId, log: overrides.kafkaLog }),
    registry: createSchemaRegistry(settings.registry),
    dataSource,
    groupId: settings.groupId,
    // An outage here is PostgreSQL's: start-up says so while it waits.
    prepare: async () => {
      await dependingOn('postgres', async () => {
        if (migrateOnStart) applied = await migrateAsOwner(settings);
        if (!dataSource.isInitialized) await dataSource.initialize();
      });
      if (!migrateOnStart) await dependingOn('the warehouse migrations', () => requireMigratedWarehouse(dataSource, settings.schema));
    },
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
    },
  });
  return { server, handler, appliedMigrations: () => applied };
}

async function migrateAsOwner(settings: WarehouseSettings): Promise<string[]> {
  const migrator = createWarehouseSchemaDataSource(settings, { extra: { max: 2 } });
  try {
    await migrator.initialize();
    return await runWarehouseMigrations(migrator, biReaderPasswordsOf(settings));
  } finally {
    if (migrator.isInitialized) await migrator.destroy();
  }
}

export interface LaunchedWarehouseSink extends RunningWarehouseSink {
  readonly appliedMigrations: readonly string[];
}

/** Starts a sink service's server outside Nest: resolves once it consumes, rejects with what stopped its start. */
export function startWarehouseSink(service: WarehouseSinkService): Promise<void> {
  return new Promise<void>((resolve, reject) => void service.server.listen((error?: unknown) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve())));
}

/** Starts the sink outside Nest (tests, scripts); stop() finishes the in-flight batch, then closes the pool. */
export async function launchWarehouseSink(settings: WarehouseSinkSettings, overrides: SinkOverrides): Promise<LaunchedWarehouseSink> {
  const service = warehouseSinkService(settings, overrides);
  await startWarehouseSink(service);
  let stopping: Promise<void> | undefined;
  return {
    appliedMigrations: service.appliedMigrations(),
    counters: () => structuredClone(service.handler.counters),
    stop: () => (stopping ??= service.server.close()),
  };
}
