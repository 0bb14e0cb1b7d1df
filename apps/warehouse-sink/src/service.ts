import { z } from 'zod';
import { booleanSetting, endpointEnv, heapEnv, kafkaSecurityEnv, schemaRegistrySecurityEnv, serviceEnv, topicNamespaceEnv } from '@pipeline/config';
import { kafkaClusterFrom, kafkaDependency, schemaRegistryDependency, schemaRegistryFrom } from '@pipeline/kafka';
import type { ServiceConfig, ServiceDefinition } from '@pipeline/service-kit';
import { postgresDependency, warehouseEnv, warehouseSettingsFrom, type WarehouseSinkSettings } from '@pipeline/warehouse';

const env = {
  ...endpointEnv,
  ...kafkaSecurityEnv,
  ...schemaRegistrySecurityEnv,
  // WAREHOUSE_SCHEMA and WAREHOUSE_BI_READER_PASSWORD, shared with `npm run warehouse:migrate`.
  ...warehouseEnv,
  ...topicNamespaceEnv,
  WAREHOUSE_SINK_GROUP_ID: z
    .string()
    .trim()
    .regex(/^[a-zA-Z0-9._-]{1,249}$/, 'must be a Kafka group id: letters, digits, ".", "_" or "-"')
    .default('warehouse-sink')
    .describe('Kafka consumer group of the sink (all sink topics, one group)'),
  WAREHOUSE_MIGRATE_ON_START: booleanSetting
    .default(true)
    .describe(
      'true: migrate the warehouse schema at start as the owner login of DATABASE_URL; false: run `npm run warehouse:migrate` with the owner URL beforehand, and DATABASE_URL may be a login in warehouse_writer only (warehouse_sink): the sink then never holds the owner password, and waits at start until the tables match the contracts',
    ),
  WAREHOUSE_STALL_AFTER_MS: z.coerce.number().int().min(1000).default(60_000).describe('a partition with lag and no commit for this long turns /health to 503'),
  HTTP_PORT: serviceEnv.HTTP_PORT.default(3003),
  LOG_LEVEL: serviceEnv.LOG_LEVEL,
  STARTUP_DEADLINE_MS: serviceEnv.STARTUP_DEADLINE_MS,
  ...heapEnv,
};

export type WarehouseSinkConfig = ServiceConfig<typeof env>;

export const warehouseSink: ServiceDefinition<typeof env> = {
  name: 'warehouse-sink',
  env,
  dependencies: (config) => [
    kafkaDependency(kafkaClusterFrom(config), 'warehouse-sink'),
    schemaRegistryDependency(schemaRegistryFrom(config)),
    postgresDependency(config.DATABASE_URL),
  ],
};

export function sinkSettingsFrom(config: WarehouseSinkConfig): WarehouseSinkSettings {
  return {
    ...warehouseSettingsFrom(config),
    kafka: kafkaClusterFrom(config),
    registry: schemaRegistryFrom(config),
    groupId: config.WAREHOUSE_SINK_GROUP_ID,
    clientId: warehouseSink.name,
    migrateOnStart: config.WAREHOUSE_MIGRATE_ON_START,
  };
}
