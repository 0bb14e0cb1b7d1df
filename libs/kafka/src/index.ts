export * from './lib/kafka-client';
export * from './lib/topics';
export * from './lib/schema-registry';
export * from './lib/round-trip-probe';
export * from './lib/dependency-checks';
export { logLevel } from 'kafkajs';
export * from './lib/avro-codec';
export * from './lib/reliable-producer';
export type { Kafka, Producer, Consumer, Message, IHeaders, EachBatchPayload, KafkaMessage, Transaction } from 'kafkajs';
