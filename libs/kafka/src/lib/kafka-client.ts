import { Kafka, logLevel, type KafkaConfig, type logCreator } from 'kafkajs';

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
 * Conditions kafkajs logs as errors although it retries them and they pass on their own
 * (a coordinator loading after start, a rebalance, the previous transaction still
 * completing). They stay out of the logs unless LOG_LEVEL=debug.
 */
const RETRIED_CONDITIONS = [
  'coordinator is loading',
  'coordinator is not available',
  'another concurrent operation on the same transaction',
  'group is rebalancing',
  'not aware of this member',
  'There is no leader for this topic-partition',
];

const LEVEL_NAMES: Record<number, string> = { [logLevel.ERROR]: 'ERROR', [logLevel.WARN]: 'WARN', [logLevel.INFO]: 'INFO', [logLevel.DEBUG]: 'DEBUG' };

const quietRetries: logCreator = () => ({ level, log }) => {
  const { message, timestamp, ...extra } = log;
  const text = `${message} ${typeof extra['error'] === 'string' ? extra['error'] : ''}`;
  const retried = RETRIED_CONDITIONS.some((condition) => text.includes(condition));
  if (retried && process.env['LOG_LEVEL'] !== 'debug') return;
  const name = retried ? 'DEBUG' : (LEVEL_NAMES[level] ?? 'INFO');
  process.stderr.write(`${JSON.stringify({ level: name, time: timestamp, logger: 'kafkajs', msg: message, ...extra })}\n`);
};

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
    logCreator: quietRetries,
    retry: { initialRetryTime: 200, retries: 8 },
    ...overrides,
  });
}
