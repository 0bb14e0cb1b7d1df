import { CompressionTypes, type Kafka, type Producer, type ProducerConfig } from 'kafkajs';
import { fastDefaultPartitioner } from './partitioner';

/**
 * Producer defaults of the pipeline: idempotent (no duplicates on retry), retrying with
 * backoff for as long as it takes (a bounded retry count would void the idempotence
 * guarantee, kafkajs warns), no topic auto-creation.
 */
export function createReliableProducer(kafka: Kafka, overrides: Partial<ProducerConfig> = {}): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 5,
    allowAutoTopicCreation: false,
    createPartitioner: fastDefaultPartitioner,
    retry: { initialRetryTime: 300, maxRetryTime: 30000, retries: Number.MAX_SAFE_INTEGER },
    ...overrides,
  });
}

/** createTransactionalProducer's retry (a caller overriding one of its settings spreads it). */
export const TRANSACTION_RETRY = { initialRetryTime: 50, maxRetryTime: 30_000, retries: Number.MAX_SAFE_INTEGER } as const;

/**
 * A transactional producer of the pipeline: createReliableProducer's, one request in flight (kafkajs' transactions
 * need it), and a first retry after 50 ms instead of 300. A transaction begun right after a commit is refused
 * (CONCURRENT_TRANSACTIONS) until the coordinator has written the last one's markers, a few ms later; at 300 ms
 * that refusal held a job still for about 300 ms after a commit (a 20,000-row replay's pump: median 380 -> 150 ms;
 * a 1,000,000-row one within noise; libs/ingest README). The Java producer retries that case after 20 ms. Outages
 * still back off to 30 s.
 */
export function createTransactionalProducer(kafka: Kafka, transactionalId: string, overrides: Partial<ProducerConfig> = {}): Producer {
  return createReliableProducer(kafka, { transactionalId, maxInFlightRequests: 1, retry: TRANSACTION_RETRY, ...overrides });
}

/**
 * Sends acknowledged by all in-sync replicas, gzip-compressed: the webhook's and the dead-letter tool's
 * (small batches). The bulk paths choose their codec by measurement and default to none: the CSV replay
 * (INGEST_COMPRESSION) and the stream server (its `compression`, AGGREGATOR_COMPRESSION), via sendOptions.
 */
export const SEND_DEFAULTS = { acks: -1, compression: CompressionTypes.GZIP } as const;

/**
 * The codecs this client can use as installed: kafkajs ships gzip only (lz4, zstd and snappy
 * need codec packages registered at start-up, none of which is a dependency here).
 */
export const COMPRESSION_CODECS = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP } as const;
export type CompressionName = keyof typeof COMPRESSION_CODECS;

/** SEND_DEFAULTS with another codec (chosen by measurement, see libs/ingest README). */
export function sendOptions(compression: CompressionName): { acks: -1; compression: CompressionTypes } {
  return { ...SEND_DEFAULTS, compression: COMPRESSION_CODECS[compression] };
}
