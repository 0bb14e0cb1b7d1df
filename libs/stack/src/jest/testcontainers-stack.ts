import { KafkaContainer } from '@testcontainers/kafka';
import { PostgreSqlContainer } from '@testcontainers/postgresql';
import { GenericContainer, Network, Wait, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import type { ComponentName } from '../lib/endpoints';

/** Image versions matching docker-compose.yml. */
const IMAGES = {
  kafka: 'confluentinc/cp-kafka:7.9.0',
  registry: 'confluentinc/cp-schema-registry:7.9.0',
  postgres: 'postgres:16-alpine',
};

export interface ContainerStack {
  endpoints: Partial<Record<ComponentName, string>>;
  stop(): Promise<void>;
}

/** The stack as throwaway containers (machines with a Docker engine); Ryuk removes them if the run dies. */
export async function startContainerStack(components: readonly ComponentName[]): Promise<ContainerStack> {
  const network: StartedNetwork = await new Network().start();
  const started: StartedTestContainer[] = [];
  const endpoints: Partial<Record<ComponentName, string>> = {};
  const wants = (name: ComponentName) => components.includes(name);

  if (wants('kafka') || wants('registry')) {
    const kafka = await new KafkaContainer(IMAGES.kafka).withKraft().withNetwork(network).withNetworkAliases('kafka').withHostname('kafka').start();
    started.push(kafka);
    endpoints.kafka = `${kafka.getHost()}:${kafka.getMappedPort(9093)}`;
  }
  if (wants('registry')) {
    const registry = await new GenericContainer(IMAGES.registry)
      .withNetwork(network)
      .withEnvironment({
        SCHEMA_REGISTRY_HOST_NAME: 'schema-registry',
        SCHEMA_REGISTRY_LISTENERS: 'http://0.0.0.0:8081',
        SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS: 'PLAINTEXT://kafka:9092',
      })
      .withExposedPorts(8081)
      .withWaitStrategy(Wait.forHttp('/subjects', 8081))
      .start();
    started.push(registry);
    endpoints.registry = `http://${registry.getHost()}:${registry.getMappedPort(8081)}`;
  }
  if (wants('postgres')) {
    const postgres = await new PostgreSqlContainer(IMAGES.postgres).withDatabase('pipeline').withUsername('pipeline').withPassword('pipeline').start();
    started.push(postgres);
    endpoints.postgres = postgres.getConnectionUri();
  }
  return {
    endpoints,
    async stop() {
      await Promise.all(started.map((container) => container.stop()));
      await network.stop();
    },
  };
}
