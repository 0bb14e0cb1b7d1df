import type { DataSource } from 'typeorm';
import { avroBindingOf, deadLetterTopic, type TopicNamespace } from '@pipeline/contracts';
import { createAvroCodec, type AvroCodec, type Kafka, type SchemaRegistry, type TopicSpec } from '@pipeline/kafka';
import { classifyFailure, exposeSinkTables, KafkaStreamServer, observeSinkBatch, type HandlerResult, type RejectedRecord, type StreamHandler, type StreamLogger, type StreamRecord, type TopicPartition } from '@pipeline/streaming';
import { landingRoutesIn, type LandingRoute, type LandingRow, type LandingTable } from '../landing-route';
import { landBatch } from './land-batch';
import { addBatch, emptyCounters, type CommittedBatch, type SinkCounters } from './sink-records';

/** Callbacks for logs and metrics; none may throw. */
export interface WarehouseSinkListener {
  batchCommitted?(batch: CommittedBatch): void;
  recordDeadLettered?(record: { topic: string; partition: number; offset: string; reason: string }): void;
}

export interface WarehouseSinkOptions {
  kafka: Kafka;
  registry: SchemaRegistry;
  /** Data source bound to the warehouse schema; initialised and migrated by `prepare` when given. */
  dataSource: DataSource;
  groupId: string;
  /** The service's topic namespace: the catalog's aggregate topics and the dead-letter topic are bound in it. */
  topics: TopicNamespace;
  /** Runs before consuming (connect and migrate); retried while the database is unreachable. */
  prepare?: () => Promise<void>;
  /** Runs when the sink stops, after its last commit (close the pool). */
  close?: () => Promise<void>;
  /** Topic → table; default: every route of the contracts' catalog. */
  routes?: readonly LandingRoute[];
  /** Where undecodable or refused records go; default pipeline.dead-letter. */
  deadLetter?: TopicSpec;
  /** Where a group without committed offsets starts; default true, so the warehouse gets the whole history. */
  fromBeginning?: boolean;
  listener?: WarehouseSinkListener;
  logger?: StreamLogger;
  stallAfterMs?: number;
}

export interface RunningWarehouseSink {
  /** Totals since start (a copy). */
  counters(): SinkCounters;
  /** Finishes the in-flight batch (rows, dead letters, offset commit), leaves the group, disconnects. Idempotent. */
  stop(): Promise<void>;
}

interface TopicRoute {
  readonly table: LandingTable;
  readonly codec: AvroCodec<LandingRow>;
}

interface DecodedRecord {
  kind: 'row';
  row: LandingRow;
  record: StreamRecord;
}
interface Rejection {
  kind: 'rejected';
  rejected: RejectedRecord;
}
type RecordOutcome = DecodedRecord | Rejection | { kind: 'empty' };

async function decodeRecord(route: TopicRoute, record: StreamRecord): Promise<RecordOutcome> {
  // Aggregate topics carry no heartbeats or tombstones; a null value is skipped, never fatal.
  if (record.value === null) return { kind: 'empty' };
  try {
    return { kind: 'row', row: await route.codec.decode(record.value), record };
  } catch (error) {
    const failure = classifyFailure(error);
    // Only a record that can never decode is rejected; an outage (registry unreachable) fails the batch, which is retried.
    if (failure.kind !== 'record') throw error;
    return { kind: 'rejected', rejected: { record, failure } };
  }
}

/**
 * The sink as a handler of the streaming runtime: per batch (one topic-partition, so one
 * table), decode, land the rows in one database transaction (COPY into a staging table, then one
 * INSERT … SELECT … ON CONFLICT: see landBatch), and return what can never
 * land; the runtime dead-letters those and only then commits the offsets. A crash at any
 * point replays from the last commit, and upserts on the natural key make a replay overwrite
 * rows, never duplicate them.
 */
export class WarehouseSinkHandler implements StreamHandler {
  readonly counters: SinkCounters;
  private readonly routes: readonly LandingRoute[];
  private routesByTopic = new Map<string, TopicRoute>();

  constructor(private readonly options: WarehouseSinkOptions) {
    this.routes = options.routes ?? landingRoutesIn(options.topics);
    this.counters = emptyCounters(this.routes.map((route) => route.table.name));
    exposeSinkTables(this.routes.map((route) => route.table.name));
  }

  get topics(): string[] {
    return this.routes.map((route) => route.topic.topic);
  }

  get topicSpecs(): TopicSpec[] {
    return this.routes.map(({ topic }) => ({ topic: topic.topic, partitions: topic.partitions, config: { ...topic.config } }));
  }

  async prepare(): Promise<void> {
    await this.options.prepare?.();
    this.routesByTopic = new Map(
      await Promise.all(this.routes.map(async (route) => [route.topic.topic, { table: route.table, codec: await createAvroCodec(this.options.registry, avroBindingOf(route.topic)) }] as const)),
    );
  }

  async close(): Promise<void> {
    await this.options.close?.();
  }

  async handle(partition: TopicPartition, records: readonly StreamRecord[]): Promise<HandlerResult> {
    const startedAt = Date.now();
    const route = this.routesByTopic.get(partition.topic);
    if (!route) throw new Error(`no route for subscribed topic ${partition.topic}`);
    const outcomes: RecordOutcome[] = [];
    for (const record of records) outcomes.push(await decodeRecord(route, record));
    const decoded = outcomes.filter((outcome): outcome is DecodedRecord => outcome.kind === 'row');
    const upsertStartedAt = performance.now();
    const refused = await landBatch(this.options.dataSource, route.table, decoded);
    const upsertSeconds = (performance.now() - upsertStartedAt) / 1000;
    const contract = route.table.contract.name;
    const rejected = [...outcomes.flatMap((outcome) => (outcome.kind === 'rejected' ? [outcome.rejected] : [])), ...refused].map((rejection) => ({ ...rejection, contract }));

    const last = records[records.length - 1];
    const committed: CommittedBatch = {
      topic: partition.topic,
      partition: partition.partition,
      committedOffset: last ? (BigInt(last.offset) + 1n).toString() : '',
      records: records.length,
      rowsUpserted: { [route.table.name]: decoded.length - refused.length },
      deadLettered: rejected.length,
      emptyRecords: outcomes.filter((outcome) => outcome.kind === 'empty').length,
      durationMs: Date.now() - startedAt,
    };
    return {
      rejected,
      onCommitted: () => {
        addBatch(this.counters, committed);
        observeSinkBatch(route.table.name, { rowsUpserted: decoded.length - refused.length, emptyRecords: committed.emptyRecords }, upsertSeconds);
        for (const { record, failure } of rejected) this.options.listener?.recordDeadLettered?.({ topic: record.topic, partition: record.partition, offset: record.offset, reason: failure.reason });
        this.options.listener?.batchCommitted?.(committed);
      },
    };
  }
}

const silentLogger: StreamLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** The sink's stream server (a Nest transport); `after-handler` delivery: the database transaction is the commit point. */
export function createWarehouseSinkServer(options: WarehouseSinkOptions): { server: KafkaStreamServer; handler: WarehouseSinkHandler } {
  const handler = new WarehouseSinkHandler(options);
  const deadLetter = options.deadLetter ?? options.topics.bind(deadLetterTopic);
  const server = new KafkaStreamServer({
    name: 'warehouse-sink',
    kafka: options.kafka,
    groupId: options.groupId,
    topics: handler.topics,
    handler,
    delivery: 'after-handler',
    ensureTopics: [...handler.topicSpecs, deadLetter],
    deadLetterTopic: deadLetter.topic,
    fromBeginning: options.fromBeginning,
    stallAfterMs: options.stallAfterMs,
    logger: options.logger ?? silentLogger,
  });
  return { server, handler };
}
