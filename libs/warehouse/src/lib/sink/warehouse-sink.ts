import type { DataSource, EntityManager } from 'typeorm';
import { avroBindingOf, deadLetterTopic, sinkRoutes } from '@pipeline/contracts';
import {
  createAvroCodec,
  createReliableProducer,
  ensureTopics,
  SEND_DEFAULTS,
  type AvroCodec,
  type EachBatchPayload,
  type Kafka,
  type SchemaRegistry,
  type TopicSpec,
} from '@pipeline/kafka';
import { WarehouseSinkStartError } from '../errors';
import type { LandingRoute, LandingRow, LandingTable } from '../landing-route';
import { statementChunks } from '../sql';
import {
  addBatch,
  databaseRefusal,
  deadLetterMessage,
  emptyCounters,
  offsetAfter,
  rejectionReason,
  type CommittedBatch,
  type ConsumedRecord,
  type SinkCounters,
} from './sink-records';

/** Callbacks for logs and metrics; none may throw. */
export interface WarehouseSinkListener {
  batchCommitted?(batch: CommittedBatch): void;
  recordDeadLettered?(record: { topic: string; partition: number; offset: string; reason: string }): void;
  /** The consumer failed; kafkajs restarts it (replaying from the committed offsets) unless willRestart is false. */
  consumerCrashed?(error: Error, willRestart: boolean): void;
}

export interface WarehouseSinkOptions {
  kafka: Kafka;
  registry: SchemaRegistry;
  /** Initialised data source bound to the migrated warehouse schema (createWarehouseSchemaDataSource). */
  dataSource: DataSource;
  groupId: string;
  /** Topic → table; default: every route of the contracts' catalog. */
  routes?: readonly LandingRoute[];
  /** Where undecodable or invalid records go; default pipeline.dead-letter. */
  deadLetter?: TopicSpec;
  /** Where a group without committed offsets starts; default true, so the warehouse gets the whole history. */
  fromBeginning?: boolean;
  listener?: WarehouseSinkListener;
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
  record: ConsumedRecord;
}
interface Rejection {
  kind: 'rejected';
  record: ConsumedRecord;
  reason: string;
}
type RecordOutcome = DecodedRecord | Rejection | { kind: 'empty' };

async function decodeRecord(route: TopicRoute, record: ConsumedRecord): Promise<RecordOutcome> {
  // Aggregate topics carry no heartbeats or tombstones; a null value is skipped, never fatal.
  if (record.value === null) return { kind: 'empty' };
  try {
    return { kind: 'row', row: await route.codec.decode(record.value), record };
  } catch (error) {
    const reason = rejectionReason(error);
    // Anything but a bad record (registry unreachable) fails the batch, which kafkajs retries.
    if (reason === undefined) throw error;
    return { kind: 'rejected', record, reason };
  }
}

async function upsertAll(manager: EntityManager, table: LandingTable, rows: readonly LandingRow[]): Promise<void> {
  for (const chunk of statementChunks(rows, table.columns.length)) {
    const statement = table.upsert(chunk);
    await manager.query(statement.text, statement.values);
  }
}

/**
 * Upserts a batch's rows in one transaction, in multi-row statements. When the database refuses
 * a value (e.g. a measure beyond its numeric column), no retry can help: the rows are written
 * again one by one, still in one transaction with a savepoint per row, and the refused ones are
 * returned for the dead-letter topic. Any other error fails the batch, which kafkajs retries.
 */
async function upsertBatch(dataSource: DataSource, table: LandingTable, decoded: readonly DecodedRecord[]): Promise<Rejection[]> {
  if (decoded.length === 0) return [];
  try {
    await dataSource.transaction((manager) => upsertAll(manager, table, decoded.map((record) => record.row)));
    return [];
  } catch (error) {
    if (databaseRefusal(error) === undefined) throw error;
  }
  return dataSource.transaction(async (manager) => {
    const refused: Rejection[] = [];
    for (const { row, record } of decoded) {
      await manager.query('SAVEPOINT warehouse_row');
      try {
        await upsertAll(manager, table, [row]);
        await manager.query('RELEASE SAVEPOINT warehouse_row');
      } catch (error) {
        const reason = databaseRefusal(error);
        if (reason === undefined) throw error;
        await manager.query('ROLLBACK TO SAVEPOINT warehouse_row');
        refused.push({ kind: 'rejected', record, reason });
      }
    }
    return refused;
  });
}

async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new WarehouseSinkStartError(name, error);
  }
}

/**
 * Lands every route's topic in its table. One consumer group; per batch: decode, upsert the rows
 * in one database transaction, dead-letter what can never land, then commit the offsets. A crash
 * at any point replays from the last commit, and upserts on the natural key make a replay
 * overwrite rows, never duplicate them.
 */
export async function startWarehouseSink(options: WarehouseSinkOptions): Promise<RunningWarehouseSink> {
  const routes = options.routes ?? sinkRoutes;
  const deadLetter = options.deadLetter ?? deadLetterTopic;
  const listener = options.listener ?? {};
  const counters = emptyCounters(routes.map((route) => route.table.name));

  await step('ensure topics', () =>
    ensureTopics(options.kafka, [
      ...routes.map(({ topic }) => ({ topic: topic.topic, partitions: topic.partitions, config: { ...topic.config } })),
      deadLetter,
    ]),
  );
  const routesByTopic = new Map<string, TopicRoute>(
    await step('register Avro schemas', () =>
      Promise.all(routes.map(async (route) => [route.topic.topic, { table: route.table, codec: await createAvroCodec(options.registry, avroBindingOf(route.topic)) }] as const)),
    ),
  );

  const producer = createReliableProducer(options.kafka);
  // A short fetch wait keeps a graceful stop short: kafkajs waits for the outstanding fetch before leaving.
  const consumer = options.kafka.consumer({ groupId: options.groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 1000 });
  consumer.on(consumer.events.CRASH, ({ payload }) => listener.consumerCrashed?.(payload.error, payload.restart));

  const landBatch = async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }: EachBatchPayload): Promise<void> => {
    const startedAt = Date.now();
    // kafkajs hands over one topic-partition per batch, so a batch is the rows of one table.
    const route = routesByTopic.get(batch.topic);
    if (!route) throw new Error(`no route for subscribed topic ${batch.topic}`);
    const outcomes = await Promise.all(
      batch.messages.map((message) =>
        decodeRecord(route, { topic: batch.topic, partition: batch.partition, offset: message.offset, key: message.key, value: message.value, headers: message.headers }),
      ),
    );
    const decoded = outcomes.filter((outcome): outcome is DecodedRecord => outcome.kind === 'row');
    const refused = await upsertBatch(options.dataSource, route.table, decoded);

    const rejected = [...outcomes.filter((outcome): outcome is Rejection => outcome.kind === 'rejected'), ...refused].sort((a, b) =>
      BigInt(a.record.offset) < BigInt(b.record.offset) ? -1 : 1,
    );
    if (rejected.length > 0) {
      const messages = rejected.map(({ record, reason }) => deadLetterMessage(record, reason, route.table.contract.name));
      await producer.send({ topic: deadLetter.topic, messages, ...SEND_DEFAULTS });
    }

    // Only now, with the rows committed and the rejects acknowledged, does the group move on.
    const committedOffset = offsetAfter(batch.lastOffset());
    await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: committedOffset }] }] });
    resolveOffset(batch.lastOffset());

    const committed: CommittedBatch = {
      topic: batch.topic,
      partition: batch.partition,
      committedOffset,
      records: batch.messages.length,
      rowsUpserted: { [route.table.name]: decoded.length - refused.length },
      deadLettered: rejected.length,
      emptyRecords: outcomes.filter((outcome) => outcome.kind === 'empty').length,
      durationMs: Date.now() - startedAt,
    };
    addBatch(counters, committed);
    for (const { record, reason } of rejected) listener.recordDeadLettered?.({ topic: batch.topic, partition: batch.partition, offset: record.offset, reason });
    listener.batchCommitted?.(committed);
    await heartbeat();
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    // kafkajs waits for the in-flight batch (which commits its own offsets) before leaving the group.
    stopping ??= consumer.disconnect().finally(() => producer.disconnect());
    return stopping;
  };

  try {
    await step('connect the dead-letter producer', () => producer.connect());
    await step('join the consumer group', async () => {
      await consumer.connect();
      await consumer.subscribe({ topics: [...routesByTopic.keys()], fromBeginning: options.fromBeginning ?? true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: landBatch });
    });
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }

  return {
    counters: () => structuredClone(counters),
    stop,
  };
}
