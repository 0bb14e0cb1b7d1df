import {
  createAvroCodec,
  createKafkaClient,
  createTransactionalProducer,
  createSchemaRegistry,
  ensureTopics,
  type Kafka,
  type KafkaCluster,
  type KafkaLogSink,
  type LeftoverScope,
  type Producer,
  type SchemaRegistry,
  type SchemaRegistryConnection,
  takeOverTransactionalId,
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
  /** Where the client's own lines go: the service's (pino) logger. */
  log?: KafkaLogSink;
}

/**
 * Topics this process already made sure of, per cluster: jobs starting together (three
 * generators sharing the dead-letter topic) would otherwise race to create the same topic.
 */
const ensured = new Map<string, Promise<void>>();

/** A Kafka client and a registry client for one ingestion process; producers are per job (each its own producer id and sequence numbers). */
export class IngestClient {
  readonly kafka: Kafka;
  readonly registry: SchemaRegistry;
  private readonly brokers: string;

  constructor(connection: IngestConnection) {
    this.brokers = connection.kafka.brokers.join(',');
    // Connection attempts give up after seconds, not the default minute: jobs retry as a whole, and
    // /health says what they wait for, so a broker that comes back is used within seconds.
    this.kafka = createKafkaClient({ ...connection.kafka, clientId: connection.clientId ?? 'ingest-producer', log: connection.log }, { retry: { initialRetryTime: 200, maxRetryTime: 2000, retries: 5 } });
    this.registry = createSchemaRegistry(connection.registry);
  }

  /** Creates the event topic (with the binding's partition count) and the dead-letter topic if missing, registers the schema, returns the sink. */
  async prepare<T extends EventValue>(topic: EventTopic<T>, deadLetterTopic: TopicSpec): Promise<EventSink<T>> {
    await this.ensureTopics([{ topic: topic.topic, partitions: topic.partitions }, deadLetterTopic]);
    return this.sinkFor(topic);
  }

  /** Creates the topics that are missing (once per process and cluster). */
  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    await Promise.all(specs.map((spec) => this.ensureTopic(spec)));
  }

  /** Registers the topic's schema (or finds it) and returns the sink encoding its values. */
  async sinkFor<T extends EventValue>(topic: EventTopic<T>): Promise<EventSink<T>> {
    const codec = await createAvroCodec(this.registry, { subject: topic.subject, schema: topic.contract.avroSchema, validate: topic.contract.parse });
    return { topic, schemaId: codec.schemaId, encode: (value) => codec.encode(value), encodeSync: (value) => codec.encodeSync(value) };
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
   * Runs `work` with a transactional producer whose transactional id is initialised before
   * `work` starts: that fences every earlier producer of the id (a killed run, or one running
   * at the same moment) and aborts its open transaction, so what `work` reads next (the job's
   * committed position) can no longer change under it (takeOverTransactionalId). With `writesTo`,
   * whatever an earlier producer of the id left open on those partitions (a hanging transaction after a
   * broker restart) is ended as committed first (settleLeftovers), so it cannot change behind what `work` reads.
   */
  async withTransactionalProducer<R>(transactionalId: string, work: (producer: Producer) => Promise<R>, writesTo?: LeftoverScope): Promise<R> {
    return this.using(createTransactionalProducer(this.kafka, transactionalId), async (producer) => {
      await takeOverTransactionalId(this.kafka, producer, writesTo);
      return work(producer);
    });
  }

  private async using<R>(producer: Producer, work: (producer: Producer) => Promise<R>): Promise<R> {
    await producer.connect();
    try {
      return await work(producer);
    } finally {
      await producer.disconnect();
    }
  }
}
