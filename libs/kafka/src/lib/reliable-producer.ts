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
