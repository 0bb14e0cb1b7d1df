import {
  deadLetterTopic,
  heartbeatEventTime,
  HEADERS,
  lateEventsTopic,
  topicNamespace,
} from '@pipeline/contracts';
import {
  createAvroCodec,
  createReliableProducer,
  ensureTopics,
  SEND_DEFAULTS,
  type AvroCodec,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type KafkaMessage,
  type Message,
  type Producer,
  type SchemaRegistry,
} from '@pipeline/kafka';
import type { OutputRecord, PipelineDefinition, StageOutput, WindowStageEngine } from '@pipeline/pipelines';
import type { LateRecord } from '@pipeline/windowing';
import { changelogKey, changelogTopic, decodeStageSnapshots, encodeStageSnapshots, readChangelog } from './state-changelog';

export interface RunnerOptions {
  /** Consumer group; also names the state changelog and the transactional id. */
  groupId: string;
  /** Stable per replica: a restarted replica fences its crashed predecessor's open transaction. */
  instanceId: string;
  log: (message: string, context?: Record<string, unknown>) => void;
  /** Processing time (for engine idleness only). */
  now?: () => number;
}

export interface RunnerCounters {
  events: number;
  heartbeats: number;
  outputRecords: number;
  lateEvents: number;
  deadLettered: number;
  transactions: number;
}

/**
 * Runs one pipeline in a consumer group: each batch of an input partition goes through
 * the pipeline's stages, and its outputs (aggregates, per-event records such as alerts,
 * late events, dead letters), the partition's new engine state and the consumer offset
 * are committed in ONE Kafka transaction. A crash at any point replays from the last
 * committed offset with the state of that very offset: no window is lost or counted twice.
 */
export class PipelineRunner<TEvent> {
  readonly counters: RunnerCounters = { events: 0, heartbeats: 0, outputRecords: 0, lateEvents: 0, deadLettered: 0, transactions: 0 };
  private readonly engines: Map<string, WindowStageEngine<TEvent>>;
  private readonly changelog: ReturnType<typeof changelogTopic>;
  private readonly restored = new Set<number>();
  /** Input partitions of the current assignment. */
  private assigned: number[] = [];
  private codecs = new Map<string, AvroCodec<unknown>>();
  private inputCodec: AvroCodec<TEvent> | undefined;
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private readonly now: () => number;

  constructor(
    private readonly kafka: Kafka,
    private readonly registry: SchemaRegistry,
    private readonly pipeline: PipelineDefinition<TEvent>,
    private readonly options: RunnerOptions,
  ) {
    this.engines = new Map(pipeline.windows.map((stage) => [stage.name, stage.createEngine()]));
    this.changelog = changelogTopic(options.groupId, pipeline.input.partitions);
    this.now = options.now ?? Date.now;
  }

  /** Namespaced like the topics, so runs in different namespaces never share a group. */
  get consumerGroupId(): string {
    return `${topicNamespace()}${this.options.groupId}.${this.pipeline.name}`;
  }

  async start(): Promise<void> {
    const outputs = [...this.pipeline.windows, ...this.pipeline.events].map((stage) => stage.output);
    await ensureTopics(this.kafka, [
      { topic: this.pipeline.input.topic, partitions: this.pipeline.input.partitions },
      ...outputs.map((output) => ({ topic: output.topic, partitions: output.partitions })),
      lateEventsTopic,
      deadLetterTopic,
      this.changelog,
    ]);
    this.inputCodec = await createAvroCodec(this.registry, this.pipeline.input.binding);
    // Stages may share an output topic (the IoT windows do): one codec, one registration per topic.
    for (const output of outputs) {
      if (!this.codecs.has(output.topic)) this.codecs.set(output.topic, await createAvroCodec(this.registry, output.binding));
    }

    this.producer = createReliableProducer(this.kafka, {
      transactionalId: `${this.consumerGroupId}.${this.options.instanceId}`,
      maxInFlightRequests: 1,
      // The broker refuses a new transaction while the last one's markers are written; retry soon.
      retry: { initialRetryTime: 50, maxRetryTime: 5000, retries: Number.MAX_SAFE_INTEGER },
    });
    await this.producer.connect();

    // A crashed replica is noticed after 10 s (not kafkajs' 30 s), so its partitions move on sooner.
    const consumer = this.kafka.consumer({ groupId: this.consumerGroupId, readUncommitted: false, sessionTimeout: 10000, heartbeatInterval: 2000 });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.onAssignment(payload.memberAssignment[this.pipeline.input.topic] ?? []));
    await consumer.connect();
    await consumer.subscribe({ topic: this.pipeline.input.topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.processBatch(payload) });
    this.options.log(`pipeline ${this.pipeline.name} consuming ${this.pipeline.input.topic}`, { group: this.consumerGroupId });
  }

  /** Finishes the batch in flight (its transaction commits), then leaves the group. */
  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }

  /** State of partitions no longer ours is dropped; new ones are restored before their first batch. */
  private onAssignment(partitions: number[]): void {
    this.assigned = partitions;
    for (const partition of [...this.restored]) {
      if (!partitions.includes(partition)) this.forget(partition);
    }
  }

  private forget(partition: number): void {
    for (const engine of this.engines.values()) engine.revoke(partition);
    this.restored.delete(partition);
  }

  /** One scan of the changelog restores every assigned partition that has no state yet. */
  private async restore(needed: number): Promise<void> {
    const partitions = [...new Set([needed, ...this.assigned])].filter((partition) => !this.restored.has(partition));
    const keys = new Map(partitions.map((partition) => [changelogKey(this.pipeline.name, partition), partition]));
    const stored = await readChangelog(this.kafka, this.changelog.topic, (key) => keys.has(key));
    for (const [key, partition] of keys) {
      const value = stored.get(key);
      if (value) {
        const snapshots = decodeStageSnapshots(key, value);
        for (const [stage, engine] of this.engines) {
          const snapshot = snapshots[stage];
          if (snapshot) engine.restore(partition, snapshot);
        }
      }
      this.restored.add(partition);
    }
    this.options.log(`restored ${this.pipeline.name} partitions ${partitions.join(', ')}`, { fromSnapshot: [...keys.keys()].filter((key) => stored.has(key)) });
  }

  private async processBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    const partition = batch.partition;
    if (!this.restored.has(partition)) {
      await this.restore(partition);
      await heartbeat();
    }
    try {
      const outgoing = await this.runStages(partition, batch.messages);
      const lastOffset = batch.messages[batch.messages.length - 1]?.offset ?? batch.lastOffset();
      await this.commit(partition, outgoing, (BigInt(lastOffset) + 1n).toString());
      resolveOffset(lastOffset);
      await heartbeat();
    } catch (error) {
      // The engine may be ahead of what was committed: drop it and restore before the retry.
      this.forget(partition);
      throw error;
    }
  }

  private async runStages(partition: number, messages: KafkaMessage[]): Promise<Map<string, Message[]>> {
    const outgoing = new Map<string, Message[]>();
    const add = (topic: string, message: Message) => {
      const list = outgoing.get(topic) ?? [];
      list.push(message);
      outgoing.set(topic, list);
    };
    const records: OutputRecord[] = [];
    const late: LateRecord<TEvent>[] = [];
    const messageOf = new Map<TEvent, KafkaMessage>();
    let pending: TEvent[] = [];
    const collect = (output: StageOutput<TEvent>) => {
      records.push(...output.records);
      late.push(...output.late);
    };
    const flush = () => {
      if (pending.length === 0) return;
      for (const engine of this.engines.values()) collect(engine.process(partition, pending, this.now()));
      pending = [];
    };

    for (const message of messages) {
      const heartbeatAt = heartbeatEventTime(message.headers);
      if (heartbeatAt !== undefined) {
        flush();
        for (const engine of this.engines.values()) collect(engine.advance(partition, heartbeatAt, this.now()));
        this.counters.heartbeats += 1;
        continue;
      }
      const event = await this.decodeOrDeadLetter(partition, message, add);
      if (event === undefined) continue;
      messageOf.set(event, message);
      for (const stage of this.pipeline.events) records.push(...stage.apply(event));
      pending.push(event);
      this.counters.events += 1;
    }
    flush();

    for (const record of records) {
      const codec = this.codecs.get(record.topic);
      if (!codec) throw new Error(`pipeline ${this.pipeline.name} has no codec for output topic ${record.topic}`);
      add(record.topic, { key: record.key, value: await codec.encode(record.value) });
    }
    this.counters.outputRecords += records.length;
    // One late record per event, even when several windows (hopping, or two window stages) found it late.
    const firstLatePerEvent = new Map<TEvent, LateRecord<TEvent>>();
    for (const lateRecord of late) if (!firstLatePerEvent.has(lateRecord.event)) firstLatePerEvent.set(lateRecord.event, lateRecord);
    for (const lateRecord of firstLatePerEvent.values()) {
      const original = messageOf.get(lateRecord.event);
      add(lateEventsTopic.topic, {
        key: original?.key ?? null,
        value: original?.value ?? null,
        headers: {
          [HEADERS.pipeline]: this.pipeline.name,
          [HEADERS.reason]: lateRecord.reason,
          [HEADERS.sourceTopic]: this.pipeline.input.topic,
          [HEADERS.sourcePartition]: String(partition),
          [HEADERS.sourceOffset]: original?.offset ?? '',
          [HEADERS.windowStart]: new Date(lateRecord.windowStart).toISOString(),
          [HEADERS.windowEnd]: new Date(lateRecord.windowEnd).toISOString(),
          [HEADERS.watermark]: new Date(lateRecord.watermark).toISOString(),
        },
      });
    }
    this.counters.lateEvents += firstLatePerEvent.size;
    return outgoing;
  }

  private async decodeOrDeadLetter(partition: number, message: KafkaMessage, add: (topic: string, message: Message) => void): Promise<TEvent | undefined> {
    try {
      if (!message.value) throw new Error('record has no value');
      if (!this.inputCodec) throw new Error('runner not started');
      return await this.inputCodec.decode(message.value);
    } catch (error) {
      add(deadLetterTopic.topic, {
        key: message.key,
        value: message.value,
        headers: {
          [HEADERS.reason]: error instanceof Error ? error.message : String(error),
          [HEADERS.source]: `stream-aggregator/${this.pipeline.name}`,
          [HEADERS.sourceTopic]: this.pipeline.input.topic,
          [HEADERS.sourcePartition]: String(partition),
          [HEADERS.sourceOffset]: message.offset,
        },
      });
      this.counters.deadLettered += 1;
      return undefined;
    }
  }

  private async commit(partition: number, outgoing: Map<string, Message[]>, nextOffset: string): Promise<void> {
    if (!this.producer) throw new Error('runner not started');
    const snapshots = Object.fromEntries([...this.engines].map(([stage, engine]) => [stage, engine.snapshot(partition)]));
    outgoing.set(this.changelog.topic, [{ key: changelogKey(this.pipeline.name, partition), value: encodeStageSnapshots(snapshots), partition }]);
    const transaction = await this.producer.transaction();
    try {
      await transaction.sendBatch({
        ...SEND_DEFAULTS,
        topicMessages: [...outgoing].map(([topic, messages]) => ({ topic, messages })),
      });
      await transaction.sendOffsets({
        consumerGroupId: this.consumerGroupId,
        topics: [{ topic: this.pipeline.input.topic, partitions: [{ partition, offset: nextOffset }] }],
      });
      await transaction.commit();
      this.counters.transactions += 1;
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      throw error;
    }
  }
}
