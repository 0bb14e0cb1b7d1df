import { deadLetterTopic, heartbeatEventTime, HEADERS, lateEventsTopic } from '@pipeline/contracts';
import { createAvroCodec, readPartitionsToEnd, type AvroCodec, type CompressionName, type Kafka, type Message, type SchemaRegistry } from '@pipeline/kafka';
import type { OutputRecord, PipelineDefinition, StageOutput, WindowStageEngine } from '@pipeline/pipelines';
import { aggregatorMetrics, classifyFailure, exposeWatermarks, KafkaStreamServer, streamMetrics, type HandlerResult, type RejectedRecord, type StreamHandler, type StreamLogger, type StreamRecord, type TopicPartition, type BatchLimits } from '@pipeline/streaming';
import type { LateRecord } from '@pipeline/windowing';
import { changelogTopic, clockKey, keyStateKey, PartitionStateImage, POSITION_KEY } from './state-changelog';

export interface RunnerOptions {
  /** Consumer group prefix; with the namespace and pipeline it names the group, the changelog and the transactional ids. */
  groupId: string;
  logger: StreamLogger;
  limits?: BatchLimits;
  stallAfterMs?: number;
  sessionTimeoutMs?: number;
  /** Input partitions handled (each its own transaction) at the same time; default 2. */
  partitionsConsumedConcurrently?: number;
  /** Bytes a fetch brings per input partition at most; default the runtime's (1 MiB). */
  fetchBytesPerPartition?: number;
  /** Codec of the outputs and state records it produces; default none (see StreamServerOptions.compression). */
  compression?: CompressionName;
}

export interface RunnerCounters {
  events: number;
  heartbeats: number;
  outputRecords: number;
  lateEvents: number;
  deadLettered: number;
  transactions: number;
  restoredKeys: number;
  restoreMs: number;
}

type Input<TEvent> = { kind: 'event'; event: TEvent; record: StreamRecord } | { kind: 'heartbeat'; eventTime: number };

/**
 * A pipeline as a handler of the streaming runtime: each bounded batch of an input
 * partition goes through the windowed and per-event stages; its outputs (aggregates,
 * alerts, late events), the state it changed (per key, to the compacted changelog) and
 * the consumer offset commit in one Kafka transaction, owned by the runtime. A partition's
 * state is restored from its changelog partition before its first batch, so a crash
 * anywhere replays from the last committed offset with exactly the state of that offset.
 */
export class PipelineHandler<TEvent> implements StreamHandler {
  readonly counters: RunnerCounters = { events: 0, heartbeats: 0, outputRecords: 0, lateEvents: 0, deadLettered: 0, transactions: 0, restoredKeys: 0, restoreMs: 0 };
  readonly changelog: ReturnType<typeof changelogTopic>;
  private readonly engines: ReadonlyMap<string, WindowStageEngine<TEvent>>;
  private readonly restored = new Set<number>();
  /** Per restored partition: the next input offset its state stands for (from the changelog). */
  private readonly positions = new Map<number, string>();
  private readonly codecs = new Map<string, AvroCodec<unknown>>();
  private inputCodec: AvroCodec<TEvent> | undefined;
  private withdrawWatermarks: (() => void) | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly registry: SchemaRegistry,
    readonly pipeline: PipelineDefinition<TEvent>,
    private readonly options: RunnerOptions,
  ) {
    this.engines = new Map(pipeline.windows.map((stage) => [stage.name, stage.createEngine()]));
    this.changelog = changelogTopic(pipeline.topics, `${options.groupId}.${pipeline.name}`, pipeline.input.partitions);
  }

  async close(): Promise<void> {
    this.withdrawWatermarks?.();
  }

  /** Namespaced like the topics, so runs in different namespaces never share a group. */
  get consumerGroupId(): string {
    return this.pipeline.topics.name(`${this.options.groupId}.${this.pipeline.name}`);
  }

  get outputTopics() {
    return [...this.pipeline.windows, ...this.pipeline.events].map((stage) => stage.output);
  }

  /** Registers the input and output schemas (one codec per output topic; stages may share one). */
  async prepare(): Promise<void> {
    // Read at scrape time, for the partitions this replica holds (the engines' logic is untouched).
    this.withdrawWatermarks = exposeWatermarks(this.pipeline.name, () =>
      [...this.engines].flatMap(([stage, engine]) => [...this.restored].map((partition) => ({ stage, partition, watermarkMs: engine.watermark(partition) }))),
    );
    this.inputCodec = await createAvroCodec(this.registry, this.pipeline.input.binding);
    for (const output of this.outputTopics) {
      if (!this.codecs.has(output.topic)) this.codecs.set(output.topic, await createAvroCodec(this.registry, output.binding));
    }
  }

  revoked(partitions: readonly TopicPartition[]): void {
    for (const { partition } of partitions) {
      for (const engine of this.engines.values()) engine.revoke(partition);
      this.restored.delete(partition);
      this.positions.delete(partition);
    }
  }

  /** Restores a partition taken over and says which input offset its state stands for. */
  async resumeOffset(partition: TopicPartition): Promise<string | undefined> {
    if (!this.restored.has(partition.partition)) await this.restorePartitions([partition.partition]);
    return this.positions.get(partition.partition);
  }

  /**
   * The partition's input position goes to its changelog in every transaction the runtime commits
   * for it (a dead letter's alone too), so a restored state always comes with the offset it stands for.
   */
  checkpoint(partition: TopicPartition, nextOffset: string): Array<{ topic: string; message: Message }> {
    return [{ topic: this.changelog.topic, message: { key: POSITION_KEY, value: Buffer.from(nextOffset), partition: partition.partition } }];
  }

  async handle(partition: TopicPartition, records: readonly StreamRecord[]): Promise<HandlerResult> {
    if (!this.restored.has(partition.partition)) await this.restorePartitions([partition.partition]);
    // Everything is decoded before any state changes: a registry outage fails the batch untouched.
    const { inputs, rejected } = await this.decode(records);
    const outgoing: Array<{ topic: string; message: Message }> = [];
    const produced: OutputRecord[] = [];
    const late: LateRecord<TEvent>[] = [];
    // Outputs per stage, and when each window stage closed windows (for close-to-commit latency).
    const outputsByStage = new Map<string, number>();
    const closes: Array<{ stage: string; at: number; windows: number }> = [];
    const collect = (stage: string, output: StageOutput<TEvent>) => {
      for (const record of output.records) produced.push(record);
      for (const lateRecord of output.late) late.push(lateRecord);
      if (output.records.length === 0) return;
      outputsByStage.set(stage, (outputsByStage.get(stage) ?? 0) + output.records.length);
      closes.push({ stage, at: performance.now(), windows: output.records.length });
    };
    let pending: TEvent[] = [];
    const flush = () => {
      if (pending.length === 0) return;
      for (const [stage, engine] of this.engines) collect(stage, engine.process(partition.partition, pending));
      pending = [];
    };
    let heartbeats = 0;
    for (const input of inputs) {
      if (input.kind === 'heartbeat') {
        flush();
        for (const [stage, engine] of this.engines) collect(stage, engine.advance(partition.partition, input.eventTime));
        heartbeats += 1;
        continue;
      }
      for (const stage of this.pipeline.events) {
        const records = stage.apply(input.event);
        for (const record of records) produced.push(record);
        if (records.length > 0) outputsByStage.set(stage.name, (outputsByStage.get(stage.name) ?? 0) + records.length);
      }
      pending.push(input.event);
    }
    flush();

    for (const record of produced) {
      const codec = this.codecs.get(record.topic);
      if (!codec) throw new Error(`pipeline ${this.pipeline.name} has no codec for output topic ${record.topic}`);
      outgoing.push({ topic: record.topic, message: { key: record.key, value: codec.encodeSync(record.value) } });
    }
    const lateEvents = this.lateEventMessages(partition.partition, late, inputs);
    for (const message of lateEvents) outgoing.push({ topic: this.pipeline.topics.bind(lateEventsTopic).topic, message });
    for (const [stage, engine] of this.engines) {
      const changes = engine.takeChanges(partition.partition);
      for (const { key, state } of changes.keys) {
        outgoing.push({ topic: this.changelog.topic, message: { key: keyStateKey(stage, key), value: state === null ? null : Buffer.from(state.buffer, state.byteOffset, state.byteLength), partition: partition.partition } });
      }
      outgoing.push({ topic: this.changelog.topic, message: { key: clockKey(stage), value: Buffer.from(changes.clock.buffer, changes.clock.byteOffset, changes.clock.byteLength), partition: partition.partition } });
    }

    // Counts only: a closure holding `inputs` or `produced` would keep the batch's decoded events alive
    // across the commit's await, long enough to be promoted to the old generation (peak RSS, GC time).
    const events = inputs.length - heartbeats;
    const outputRecords = produced.length;
    const lateCount = lateEvents.length;
    const deadLettered = rejected.length;
    const onCommitted = () => {
      this.counters.events += events;
      this.counters.heartbeats += heartbeats;
      this.counters.outputRecords += outputRecords;
      this.counters.lateEvents += lateCount;
      this.counters.deadLettered += deadLettered;
      this.counters.transactions += 1;
      const pipeline = this.pipeline.name;
      aggregatorMetrics.events.inc({ pipeline }, events);
      aggregatorMetrics.heartbeats.inc({ pipeline }, heartbeats);
      aggregatorMetrics.lateEvents.inc({ pipeline }, lateCount);
      for (const [stage, count] of outputsByStage) aggregatorMetrics.outputs.inc({ pipeline, stage }, count);
      const committedAt = performance.now();
      for (const close of closes) {
        // One observation per window (a batch may close 100k at once; prom-client has no weighted observe, and
        // its labelled child still hashes the labels per call: about 2 % of the CPU at 1,000,000 keys).
        const latency = aggregatorMetrics.closeToCommitSeconds.labels({ pipeline, stage: close.stage });
        const seconds = (committedAt - close.at) / 1000;
        for (let i = 0; i < close.windows; i += 1) latency.observe(seconds);
      }
    };
    return { outputs: outgoing, rejected, onCommitted };
  }

  private async decode(records: readonly StreamRecord[]): Promise<{ inputs: Input<TEvent>[]; rejected: RejectedRecord[] }> {
    const codec = this.inputCodec;
    if (!codec) throw new Error(`pipeline ${this.pipeline.name} is not prepared`);
    const inputs: Input<TEvent>[] = [];
    const rejected: RejectedRecord[] = [];
    for (const record of records) {
      const eventTime = heartbeatEventTime(record.headers);
      if (eventTime !== undefined) {
        inputs.push({ kind: 'heartbeat', eventTime });
        continue;
      }
      try {
        if (!record.value) throw new EmptyRecordError();
        // A promise per record only for the first records of a writer schema not resolved yet.
        inputs.push({ kind: 'event', event: codec.decodeResolved(record.value) ?? (await codec.decode(record.value)), record });
      } catch (error) {
        const failure = classifyFailure(error);
        // Only a record that can never decode is dead-lettered; an outage fails the whole batch, which is retried.
        if (failure.kind !== 'record') throw error;
        rejected.push({ record, failure });
      }
    }
    return { inputs, rejected };
  }

  /** One late record per event, even when several windows (hopping, or two window stages) found it late. */
  private lateEventMessages(partition: number, late: readonly LateRecord<TEvent>[], inputs: readonly Input<TEvent>[]): Message[] {
    if (late.length === 0) return [];
    const firstLatePerEvent = new Map<TEvent, LateRecord<TEvent>>();
    for (const lateRecord of late) if (!firstLatePerEvent.has(lateRecord.event)) firstLatePerEvent.set(lateRecord.event, lateRecord);
    // Built only for a batch with late events (rare): a map entry per event cost every batch its allocation.
    const recordOf = new Map<TEvent, StreamRecord>();
    for (const input of inputs) if (input.kind === 'event' && firstLatePerEvent.has(input.event)) recordOf.set(input.event, input.record);
    const messages: Message[] = [];
    for (const lateRecord of firstLatePerEvent.values()) {
      const original = recordOf.get(lateRecord.event);
      messages.push({
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
    return messages;
  }

  /**
   * Reads the partitions' changelog partitions from their start to the end offsets they have
   * now, in one scan (the runtime fenced every earlier owner first, so no transaction of ours
   * is open there), and loads each stage's newest clock and key states.
   */
  async restorePartitions(partitions: readonly number[]): Promise<void> {
    const startedAt = performance.now();
    const images = new Map(partitions.map((partition) => [partition, new PartitionStateImage()]));
    await readPartitionsToEnd(this.kafka, this.changelog.topic, partitions, (record, partition) => {
      if (record.key) images.get(partition)?.apply(record.key.toString('utf8'), record.value);
    });
    let keys = 0;
    for (const [partition, image] of images) {
      for (const [stage, engine] of this.engines) {
        engine.revoke(partition);
        const stageKeys = image.keys.get(stage);
        keys += stageKeys?.size ?? 0;
        engine.restore(partition, image.clocks.get(stage), stageKeys?.values() ?? []);
        // Let the bytes go as soon as the engine holds the state.
        image.keys.delete(stage);
      }
      this.restored.add(partition);
      if (image.position === undefined) this.positions.delete(partition);
      else this.positions.set(partition, image.position);
    }
    const ms = Math.round(performance.now() - startedAt);
    this.counters.restoredKeys += keys;
    this.counters.restoreMs += ms;
    aggregatorMetrics.restoredKeys.inc({ pipeline: this.pipeline.name }, keys);
    streamMetrics.restoreSeconds.observe({ group: this.consumerGroupId }, ms / 1000);
    this.options.logger.log(`${this.pipeline.name}: restored partitions ${partitions.join(', ')}`, { keys, ms });
  }
}

class EmptyRecordError extends Error {
  readonly retriable = false;
  readonly reasonClass = 'decode';
  constructor() {
    super('record has no value');
    this.name = 'EmptyRecordError';
  }
}

/** The pipeline's stream server: its handler plugged into the runtime with transactional delivery. */
export function createPipelineServer<TEvent>(
  kafka: Kafka,
  registry: SchemaRegistry,
  pipeline: PipelineDefinition<TEvent>,
  options: RunnerOptions,
): { server: KafkaStreamServer; handler: PipelineHandler<TEvent> } {
  const handler = new PipelineHandler(kafka, registry, pipeline, options);
  const deadLetter = pipeline.topics.bind(deadLetterTopic);
  const server = new KafkaStreamServer({
    name: `stream-aggregator/${pipeline.name}`,
    kafka,
    groupId: handler.consumerGroupId,
    topics: [pipeline.input.topic],
    handler,
    delivery: 'transactional',
    ensureTopics: [
      { topic: pipeline.input.topic, partitions: pipeline.input.partitions },
      ...handler.outputTopics.map((output) => ({ topic: output.topic, partitions: output.partitions })),
      pipeline.topics.bind(lateEventsTopic),
      deadLetter,
      handler.changelog,
    ],
    deadLetterTopic: deadLetter.topic,
    limits: options.limits,
    stallAfterMs: options.stallAfterMs,
    sessionTimeoutMs: options.sessionTimeoutMs,
    ...(options.partitionsConsumedConcurrently !== undefined && { partitionsConsumedConcurrently: options.partitionsConsumedConcurrently }),
    ...(options.fetchBytesPerPartition !== undefined && { fetchBytesPerPartition: options.fetchBytesPerPartition }),
    ...(options.compression !== undefined && { compression: options.compression }),
    logger: options.logger,
  });
  return { server, handler };
}
