import { endpointEnv, serviceEnv } from '@pipeline/config';
import { kafkaDependency, schemaRegistryDependency } from '@pipeline/kafka';
import type { ServiceDefinition } from '@pipeline/service-kit';

const env = {
  KAFKA_BROKERS: endpointEnv.KAFKA_BROKERS,
  SCHEMA_REGISTRY_URL: endpointEnv.SCHEMA_REGISTRY_URL,
  HTTP_PORT: serviceEnv.HTTP_PORT.default(3002),
  LOG_LEVEL: serviceEnv.LOG_LEVEL,
};

export const streamAggregator: ServiceDefinition<typeof env> = {
  name: 'stream-aggregator',
  env,
  dependencies: (config) => [kafkaDependency(config.KAFKA_BROKERS, 'stream-aggregator'), schemaRegistryDependency(config.SCHEMA_REGISTRY_URL)],
};
