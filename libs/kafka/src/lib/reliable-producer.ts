import { CompressionTypes, type Kafka, type Producer, type ProducerConfig } from 'kafkajs';

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
    retry: { initialRetryTime: 300, maxRetryTime: 30000, retries: Number.MAX_SAFE_INTEGER },
    ...overrides,
  });
}

/** Every send of the pipeline: acknowledged by all in-sync replicas, batch-compressed. */
export const SEND_DEFAULTS = { acks: -1, compression: CompressionTypes.GZIP } as const;
