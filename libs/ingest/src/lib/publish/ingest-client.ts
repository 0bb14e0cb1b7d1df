import { deadLetterTopic as defaultDeadLetterTopic } from '@pipeline/contracts';
import {
  createAvroCodec,
  createKafkaClient,
  createReliableProducer,
  createSchemaRegistry,
  ensureTopics,
  type Kafka,
  type KafkaCluster,
  type Producer,
  type SchemaRegistry,
  type SchemaRegistryConnection,
  type TopicSpec,
} from '@pipeline/kafka';
import type { EventTopic, EventValue } from '../source';
import type { EventSink } from './pump';

/** Where the broker and the registry are, and how to reach them securely (kafkaClusterFrom, schemaRegistryFrom). */
export interface IngestConnection {
  kafka: KafkaCluster;
  /** A plain URL (tests, the local stack) or a connection with credentials. */
  registry: string | SchemaRegistryConnection;
  clientId?: string;
}

/**
 * Topics this process already made sure of, per cluster: jobs starting together (three
 * generators sharing the dead-letter topic) would otherwise race to create the same topic.
 */
const ensured = new Map<string, Promise<void>>();

/** A Kafka client and a registry client for one ingestion process; producers are per job. */
export class IngestClient {
  readonly kafka: Kafka;
  readonly registry: SchemaRegistry;
  private readonly brokers: string;

  constructor(connection: IngestConnection) {
    this.brokers = connection.kafka.brokers.join(',');
    this.kafka = createKafkaClient({ ...connection.kafka, clientId: connection.clientId ?? 'ingest-producer' });
    this.registry = createSchemaRegistry(connection.registry);
  }

  /** Creates the event topic (with the binding's partition count) and the dead-letter topic if missing, registers the schema, returns the sink. */
  async prepare<T extends EventValue>(topic: EventTopic<T>, deadLetterTopic: TopicSpec = defaultDeadLetterTopic): Promise<EventSink<T>> {
    await Promise.all([{ topic: topic.topic, partitions: topic.partitions }, deadLetterTopic].map((spec) => this.ensureTopic(spec)));
    const codec = await createAvroCodec(this.registry, { subject: topic.subject, schema: topic.contract.avroSchema, validate: topic.contract.parse });
    return { topic, encode: (value) => codec.encode(value) };
  }

  private ensureTopic(spec: TopicSpec): Promise<void> {
    const key = `${this.brokers}|${spec.topic}`;
    let done = ensured.get(key);
    if (!done) {
      done = ensureTopics(this.kafka, [spec]);
      done.catch(() => ensured.delete(key));
      ensured.set(key, done);
    }
    return done;
  }

  /**
   * Runs `work` with a connected idempotent producer of its own (acks=all, retries with
   * backoff): each job has its own producer id and sequence numbers, so jobs never
   * disturb each other's retries. Disconnects (flushing) afterwards.
   */
  async withProducer<R>(work: (producer: Producer) => Promise<R>): Promise<R> {
    const producer = createReliableProducer(this.kafka);
    await producer.connect();
    try {
      return await work(producer);
    } finally {
      await producer.disconnect();
    }
  }
}
