import { Kafka, logLevel, type KafkaConfig, type logCreator } from 'kafkajs';
import { destination, pino, type Logger } from 'pino';
import { explainKafkaError } from './connection-errors';
import { assertKafkajsPatched } from './read-committed-filter';
import { kafkajsSecurity, type KafkaCluster } from './security';

/** A cluster (brokers and security, see kafkaClusterFrom) and who connects to it. */
export interface KafkaConnection extends KafkaCluster {
  clientId: string;
  /** The service's logger for the client's own lines; default: pino JSON lines on stderr (the services' shape). */
  log?: KafkaLogSink;
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
 * completing), or that the caller handles: a topic another replica or pipeline created a
 * moment before (CreateTopics answers TOPIC_ALREADY_EXISTS, which ensureTopics accepts), and
 * the metadata of a topic just created, which the broker's cache does not have yet (retried
 * by ensureTopics). A real failure of either still fails the call, and the service reports
 * that error in its own words. They go to the logger at debug level, so they show only with
 * LOG_LEVEL=debug.
 */
const RETRIED_CONDITIONS: ReadonlyArray<string | readonly string[]> = [
  'coordinator is loading',
  'coordinator is not available',
  'another concurrent operation on the same transaction',
  'group is rebalancing',
  'not aware of this member',
  'There is no leader for this topic-partition',
  'Topic creation errors',
  // Only on a metadata answer: a fetch of a topic deleted under the consumer stays an error.
  ['Response Metadata', 'This server does not host this topic-partition'],
];

/** The level a kafkajs log line is logged at: its own, or debug for a condition that passes on its own (RETRIED_CONDITIONS: each string, or all of a list, in the line). */
export function kafkaLineLevel(level: number, text: string): 'error' | 'warn' | 'info' | 'debug' {
  if (RETRIED_CONDITIONS.some((condition) => (typeof condition === 'string' ? [condition] : condition).every((part) => text.includes(part)))) return 'debug';
  return LEVEL_NAMES[level] ?? 'info';
}

const LEVEL_NAMES: Record<number, 'error' | 'warn' | 'info' | 'debug'> = { [logLevel.ERROR]: 'error', [logLevel.WARN]: 'warn', [logLevel.INFO]: 'info', [logLevel.DEBUG]: 'debug' };

/** Where the client's own log lines go: the service's logger (one log shape per service). */
export type KafkaLogSink = (level: 'error' | 'warn' | 'info' | 'debug', message: string, context: Record<string, unknown>) => void;

let stderrLogger: Logger | undefined;

/** Lines of a client made without a logger (tools, tests): pino's JSON on stderr, info and up, synchronous so none is lost at exit. */
const stderrSink: KafkaLogSink = (level, message, context) => {
  stderrLogger ??= pino({ name: 'kafkajs', level: 'info' }, destination({ fd: 2, sync: true }));
  stderrLogger[level]({ ...context }, message);
};

/** A sink writing to a pino logger (a CLI's, a script's), at the line's own level. */
export function pinoKafkaLogSink(logger: Logger): KafkaLogSink {
  return (level, message, context) => logger[level]({ ...context }, message);
}

/** A settings problem (wrong password, untrusted certificate) is logged once a minute per client, as one line. */
const SECURITY_LINE_EVERY_MS = 60_000;

function quietRetries(sink: KafkaLogSink, cluster: KafkaCluster): logCreator {
  return () => {
    const lastSaid = new Map<string, number>();
    return ({ level, log }) => {
      const { message } = log;
      // The service's logger stamps its own time.
      const extra = Object.fromEntries(Object.entries(log).filter(([name]) => name !== 'message' && name !== 'timestamp'));
      const text = `${message} ${typeof extra['error'] === 'string' ? extra['error'] : ''}`;
      if (level <= logLevel.WARN) {
        // kafkajs logs a TLS or SASL failure at every layer and every retry: say it once, in words that name the setting.
        const explained = explainKafkaError({ message: text, broker: extra['broker'] }, cluster.brokers, cluster.security);
        if (explained) {
          const now = Date.now();
          if (now - (lastSaid.get(explained.message) ?? 0) >= SECURITY_LINE_EVERY_MS) {
            lastSaid.set(explained.message, now);
            sink('error', explained.message, { problem: explained.problem });
          }
          return;
        }
      }
      sink(kafkaLineLevel(level, text), message, extra);
    };
  };
}

/** Each client's configuration, so a probe can connect the same way (addresses, security) without its retries. */
const clientConfigs = new WeakMap<Kafka, KafkaConfig>();

/**
 * The one place that constructs a kafkajs client. Everything else in the
 * product goes through this lib, so the client library can be swapped
 * (kafkajs is no longer maintained) without touching apps or other libs.
 * TLS and SASL come from the cluster's security (kafkaClusterFrom), read from
 * its PEM files here, when the client is made.
 */
export function createKafkaClient(connection: KafkaConnection, overrides: Partial<KafkaConfig> = {}): Kafka {
  assertKafkajsPatched();
  const config: KafkaConfig = {
    clientId: connection.clientId,
    brokers: connection.brokers,
    ...kafkajsSecurity(connection.security),
    logLevel: logLevel.WARN,
    logCreator: quietRetries(connection.log ?? stderrSink, connection),
    retry: { initialRetryTime: 200, retries: 8 },
    ...overrides,
  };
  const kafka = new Kafka(config);
  clientConfigs.set(kafka, config);
  return kafka;
}

/**
 * Connects once to the client's cluster, without the client's retries (connection retries
 * follow the client's settings, up to most of a minute): rejects at once, with the client's
 * error, while no broker is reachable. For start-up, to say so and to notice its return quickly.
 */
export async function reachKafka(kafka: Kafka): Promise<void> {
  const config = clientConfigs.get(kafka);
  const admin = (config ? new Kafka({ ...config, retry: { retries: 0 } }) : kafka).admin();
  try {
    await admin.connect();
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
