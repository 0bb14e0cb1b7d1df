import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';

// kafkajs prints a banner about its v2 partitioner change on every producer;
// the default (murmur2, Java-compatible) is what we want, so silence it once.
process.env['KAFKAJS_NO_PARTITIONER_WARNING'] ??= '1';

export interface KafkaConnection {
  /** host:port pairs, e.g. ["127.0.0.1:9092"]. */
  brokers: string[];
  clientId: string;
}

/** Parses KAFKA_BROKERS ("host:port,host:port") into a list, rejecting empty entries. */
export function parseBrokerList(value: string): string[] {
  const brokers = value
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
  if (brokers.length === 0) {
    throw new Error(`KAFKA_BROKERS must list at least one host:port, got "${value}"`);
  }
  for (const broker of brokers) {
    if (!/^[^:\s]+:\d+$/.test(broker)) {
      throw new Error(`KAFKA_BROKERS entry "${broker}" is not host:port`);
    }
  }
  return brokers;
}

/**
 * The one place that constructs a kafkajs client. Everything else in the
 * product goes through this lib, so the client library can be swapped
 * (kafkajs is no longer maintained) without touching apps or other libs.
 */
export function createKafkaClient(connection: KafkaConnection, overrides: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: connection.clientId,
    brokers: connection.brokers,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 200, retries: 8 },
    ...overrides,
  });
}
