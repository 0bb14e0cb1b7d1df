import { endpointEnv, serviceEnv } from '@pipeline/config';
import { kafkaDependency, schemaRegistryDependency } from '@pipeline/kafka';
import type { ServiceDefinition } from '@pipeline/service-kit';
import { postgresDependency } from '@pipeline/warehouse';

const env = {
  ...endpointEnv,
  HTTP_PORT: serviceEnv.HTTP_PORT.default(3003),
  LOG_LEVEL: serviceEnv.LOG_LEVEL,
};

export const warehouseSink: ServiceDefinition<typeof env> = {
  name: 'warehouse-sink',
  env,
  dependencies: (config) => [
    kafkaDependency(config.KAFKA_BROKERS, 'warehouse-sink'),
    schemaRegistryDependency(config.SCHEMA_REGISTRY_URL),
    postgresDependency(config.DATABASE_URL),
  ],
};
