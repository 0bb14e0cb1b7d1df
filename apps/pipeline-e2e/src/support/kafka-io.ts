import {
  createAvroCodec,
  createKafkaClient,
  createReliableProducer,
  createSchemaRegistry,
  ensureTopics,
  parseBrokerList,
  readTopicToEnd,
  SEND_DEFAULTS,
  type Kafka,
  type KafkaMessage,
} from '@pipeline/kafka';
import type { FieldShape, ShapeValue, TopicBinding } from '@pipeline/contracts';
import type { ContractsModule } from './contracts-module';
import { requiredEnv } from './run-environment';

export function testKafka(): Kafka {
  return createKafkaClient({ brokers: parseBrokerList(requiredEnv('KAFKA_BROKERS')), clientId: 'pipeline-e2e' });
}

type EventBinding = Pick<TopicBinding<FieldShape>, 'topic' | 'partitions'>;

/**
 * A publisher of events exactly as the ingest-producer sends them: Avro through the registry,
 * keyed by the binding's key, idempotent, acks=all, in the given order.
 */
export async function openPublisher<S extends FieldShape>(
  kafka: Kafka,
  contracts: ContractsModule,
  binding: TopicBinding<S>,
): Promise<{ send(events: readonly ShapeValue<S>[]): Promise<void>; close(): Promise<void> }> {
  await ensureTopics(kafka, [{ topic: binding.topic, partitions: binding.partitions }]);
  const codec = await createAvroCodec(createSchemaRegistry(requiredEnv('SCHEMA_REGISTRY_URL')), contracts.avroBindingOf(binding));
  const producer = createReliableProducer(kafka);
  await producer.connect();
  return {
    async send(events) {
      const messages = await Promise.all(events.map(async (event) => ({ key: binding.key(event), value: await codec.encode(event) })));
      await producer.send({ ...SEND_DEFAULTS, topic: binding.topic, messages });
    },
    close: () => producer.disconnect(),
  };
}

/** Publishes events as `openPublisher` does, encoded and sent `batchSize` at a time (large inputs never sit encoded in memory all at once). */
export async function publishEvents<S extends FieldShape>(
  kafka: Kafka,
  contracts: ContractsModule,
  binding: TopicBinding<S>,
  events: readonly ShapeValue<S>[],
  options: { batchSize?: number } = {},
): Promise<void> {
  const batchSize = options.batchSize ?? 500;
  const publisher = await openPublisher(kafka, contracts, binding);
  try {
    for (let start = 0; start < events.length; start += batchSize) await publisher.send(events.slice(start, start + batchSize));
  } finally {
    await publisher.close();
  }
}

/** Publishes records already encoded (e.g. with another writer schema), in order, acks=all. */
export async function publishEncoded(kafka: Kafka, topic: string, messages: readonly { key: string; value: Buffer }[]): Promise<void> {
  const producer = createReliableProducer(kafka);
  await producer.connect();
  try {
    for (let start = 0; start < messages.length; start += 500) {
      await producer.send({ ...SEND_DEFAULTS, topic, messages: messages.slice(start, start + 500) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Watermark heartbeats on every partition of an event topic (END_OF_INPUT closes every window). */
export async function publishHeartbeats(kafka: Kafka, contracts: ContractsModule, binding: EventBinding, eventTime: number): Promise<void> {
  const producer = createReliableProducer(kafka);
  await producer.connect();
  try {
    await producer.send({ ...SEND_DEFAULTS, topic: binding.topic, messages: contracts.watermarkHeartbeats(binding.partitions, eventTime) });
  } finally {
    await producer.disconnect();
  }
}

export async function readAll(kafka: Kafka, topic: string): Promise<KafkaMessage[]> {
  const records: KafkaMessage[] = [];
  await readTopicToEnd(kafka, topic, (record) => records.push(record));
  return records;
}

/** Reads a topic read-committed from the beginning to its current end, one record at a time (for topics too large to hold). */
export async function readEach(kafka: Kafka, topic: string, onRecord: (record: KafkaMessage, partition: number) => void): Promise<void> {
  await readTopicToEnd(kafka, topic, onRecord);
}

export function header(record: KafkaMessage, name: string): string | undefined {
  const value = record.headers?.[name];
  return (Array.isArray(value) ? value[0] : value)?.toString();
}
