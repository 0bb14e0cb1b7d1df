import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { deadLetterRecord, type RecordOrigin } from '@pipeline/contracts';
import { createReliableProducer, createTransactionalProducer, ensureTopics, TRANSACTION_RETRY, reachKafka, sendOptions, takeOverTransactionalId, withAdmin, type CompressionName, type Consumer, type EachBatchPayload, type IHeaders, type Kafka, type Message, type Producer, type TopicSpec } from '@pipeline/kafka';
import { AdaptiveBatchSize, backoffMs, boundedChunks, DEFAULT_BATCH_LIMITS, nextChunk, type BatchLimits } from './batches';
import { classifyFailure, dependencyOf, messageOf, type Failure } from './failures';
import { exposeProgress, streamMetrics } from './metrics';
import { ProgressBoard, type StalledPartition } from './progress';

/** One consumed record, as handlers see it. */
export interface StreamRecord extends RecordOrigin {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: IHeaders;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A record the handler could not process; the runtime dead-letters it with this failure. */
export interface RejectedRecord {
  readonly record: StreamRecord;
  readonly failure: Failure;
  /** The contract the record was read as, for the dead letter. */
  readonly contract?: string;
}

export interface HandlerResult {
  /** Records to produce; in transactional mode, in the same transaction as the offsets. */
  readonly outputs?: ReadonlyArray<{ readonly topic: string; readonly message: Message }>;
  /** Records of this batch that can never be processed. */
  readonly rejected?: readonly RejectedRecord[];
  /** Called once the batch is committed (counters of committed work count a retried batch once). */
  readonly onCommitted?: () => void;
}

/**
 * What a service plugs into the runtime. `handle` gets a bounded run of consecutive records
 * of one partition and either returns its outputs or throws; the runtime classifies what
 * it throws (see failures.ts) and retries, splits or dead-letters accordingly.
 */
export interface StreamHandler {
  /** Called once before consuming (e.g. registering schemas); retriable failures are retried with backoff. */
  prepare?(): Promise<void>;
  /** Newly assigned partitions (after fencing, before their first batch). */
  assigned?(partitions: readonly TopicPartition[]): Promise<void> | void;
  /**
   * Partitions taken away, or whose in-memory state may be ahead of what was committed
   * (a batch failed after changing it): drop their state; it is restored before the next batch.
   */
  revoked?(partitions: readonly TopicPartition[]): Promise<void> | void;
  handle(partition: TopicPartition, records: readonly StreamRecord[]): Promise<HandlerResult>;
  /**
   * Transactional delivery: the next input offset the handler's own committed state was written
   * with (e.g. in its changelog, in the same transaction as the consumer offset), asked after
   * fencing. When given, it is where the partition resumes, whatever the group's committed offset
   * says: the state stands for it. The group's offset can be behind it (read right after an earlier
   * owner's last commit, kafkajs cannot ask for stable offsets, KIP-447's require_stable: processing
   * from there would redo that transaction against state that already holds it) and, after a broker
   * restart, ahead of it (a transaction whose markers reached the offsets and not the state: going
   * on from there would lose its records from the state).
   */
  resumeOffset?(partition: TopicPartition): Promise<string | undefined>;
  /**
   * Transactional delivery: records written in every transaction of the partition, whatever else
   * it holds (a dead letter alone included), e.g. the handler's own record of `nextOffset`, which
   * `resumeOffset` later reads back.
   */
  checkpoint?(partition: TopicPartition, nextOffset: string): ReadonlyArray<{ readonly topic: string; readonly message: Message }>;
  /** Called last when the server closes (release pools). */
  close?(): Promise<void>;
}

export interface StreamServerOptions {
  /** Shown in logs, dead letters (`pipeline-source`) and metrics. */
  readonly name: string;
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly handler: StreamHandler;
  /**
   * `transactional`: outputs, dead letters and the offset commit in one Kafka transaction per
   * batch, with one transactional producer per input partition, so the replica that owns a
   * partition fences every earlier owner (Kafka Streams' exactly-once per task).
   * `after-handler`: the handler's own side effect (a database transaction) is the commit
   * point; dead letters are produced, then offsets committed.
   */
  readonly delivery: 'transactional' | 'after-handler';
  /**
   * Topics to create if missing before consuming (inputs, outputs, dead letters). In transactional delivery
   * every one of them besides the inputs must be listed: a partition owned anew settles whatever an earlier
   * owner left open on them (settleLeftovers).
   */
  readonly ensureTopics?: readonly TopicSpec[];
  readonly deadLetterTopic: string;
  readonly limits?: BatchLimits;
  /**
   * Codec of the record batches it produces. Default `none`: at 1,000,000 keys gzip cost the aggregator
   * a sixth of its CPU and doubled its state restore (libs/streaming README); `gzip` saves network and disk.
   */
  readonly compression?: CompressionName;
  /**
   * Transactional delivery: the broker aborts a transaction open longer than this (kafkajs'
   * default, 60 s). Batches adapt to take at most a sixth of it (see AdaptiveBatchSize).
   */
  readonly transactionTimeoutMs?: number;
  /** A partition with lag and no progress for this long is reported stalled. Default 60 s. */
  readonly stallAfterMs?: number;
  /** Failures of an unclassified kind before the batch is split to isolate a record. Default 3. */
  readonly isolateAfterAttempts?: number;
  readonly retryBackoff?: { readonly initialMs: number; readonly maxMs: number };
  /**
   * Backoff of the start-up steps while a dependency is unreachable. Capped low (default 200 ms
   * to 2 s): a dependency that comes back must be noticed within seconds, and each attempt is cheap.
   */
  readonly startupBackoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Where a group without committed offsets starts. Default true. */
  readonly fromBeginning?: boolean;
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /** Partitions processed at once (each has its own producer and transactions). Default 2. */
  readonly partitionsConsumedConcurrently?: number;
  /** Bytes a fetch brings per partition at most (as sent). Default FETCH_BYTES_PER_PARTITION (1 MiB). */
  readonly fetchBytesPerPartition?: number;
  readonly logger: StreamLogger;
}

export interface StreamLogger {
  log(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

export interface StreamHealth {
  readonly ok: boolean;
  readonly state: 'starting' | 'running' | 'stopped' | 'crashed';
  readonly stalled: readonly StalledPartition[];
  readonly detail: string;
}

const key = ({ topic, partition }: TopicPartition) => `${topic}:${partition}`;
/** How often the server looks for partitions that stalled or moved again, to log it (at most; sooner with a shorter stall time). */
const STALL_CHECK_MS = 5_000;

/** After a wait (backoff, fenced): a batch whose consumer is stopping or has sought elsewhere is not retried. */
function abandonIfStale(partition: TopicPartition, failure: Failure, payload: EachBatchPayload): void {
  if (!payload.isRunning() || payload.isStale()) throw new Error(`${key(partition)}: batch abandoned (consumer stopping or seeking) after: ${failure.reason}`);
}

/**
 * What one fetch brings per partition. kafkajs keeps a fetch's records as objects until they are
 * processed, so this bounds the consumer's memory, and a fetch is at most one transaction's worth, so it
 * also bounds how many updates of one key a state record folds. It counts bytes as sent: the pipeline's
 * sources send uncompressed by default (INGEST_COMPRESSION), where 1 MiB holds about 12,000 IoT readings.
 * Measured on the IoT bench with uncompressed input (A/B on one input, 2026-11-30): 256 KiB gave 82,330
 * events/s at 100 keys (198 MiB) and 43,129–45,601 at 10,000 keys; 1 MiB 100,188–119,497 (250–256 MiB) and
 * 93,741; 2 MiB 100,496–100,549 (284–289 MiB) and 74,983–83,073. (With gzip input, 1 MiB had kept ~200 MiB
 * of records alive: a gzip batch holds 5–10 times the records its size suggests.) 1 MiB was held back for a
 * while over a chaos run that committed 17 readings twice; that was a hanging transaction left by the broker's
 * restart in the CSV replay's input, not the fetch size (see settleLeftovers).
 */
const FETCH_BYTES_PER_PARTITION = 1024 * 1024;

/**
 * A transaction that could neither commit nor abort (the broker went away during the commit):
 * whether it committed is unknown, and kafkajs leaves that producer stuck in COMMITTING for good.
 * Like every failed batch, the partition's producer and state are dropped; the retry owns the
 * partition anew (InitProducerId completes or aborts the open transaction on the broker), restores
 * the state with its position, and skips the records that turn out to be committed.
 */
class TransactionOutcomeUnknownError extends Error {
  readonly retriable = true;
  constructor(partition: TopicPartition, cause: unknown) {
    super(`${key(partition)}: transaction neither committed nor aborted (${messageOf(cause)}); resuming from the committed position with a new producer`);
    this.name = 'TransactionOutcomeUnknownError';
  }
}

/** A commit found the partition's producer gone (given away in between): retried after owning it again. */
class NotOwnedError extends Error {
  readonly retriable = true;
  constructor(partition: TopicPartition) {
    super(`${key(partition)} is not owned by this replica any more; owning it again`);
    this.name = 'NotOwnedError';
  }
}

/**
 * The one consume → handle → commit loop of the product, as a NestJS custom transport
 * (like @nestjs/microservices' ServerKafka, it owns its consumer and producers from
 * `listen` to `close`). Apps add it with `app.connectMicroservice({ strategy })` and only
 * write handlers. It owns bounded batches, the error policy (retry, split, dead-letter),
 * fencing and offset positions on (re)assignment, rebalance hand-over, crash restarts,
 * progress tracking for /health and the metrics.
 */
export class KafkaStreamServer extends Server implements CustomTransportStrategy {
  readonly board = new ProgressBoard();
  private consumer: Consumer | undefined;
  /** Dead letters in `after-handler` delivery; never used for outputs. */
  private producer: Producer | undefined;
  /** Transactional delivery: the producer owning each assigned input partition. */
  private readonly partitionProducers = new Map<string, Promise<Producer>>();
  /**
   * Transactional delivery, per owned partition: the next input offset its committed state stands
   * for (resumed at when owned, moved by each commit). A batch fetched from before it is skipped up to it.
   */
  private readonly positions = new Map<string, bigint>();
  private assignedPartitions: TopicPartition[] = [];
  private state: StreamHealth['state'] = 'starting';
  private crash: string | undefined;
  /** Crashes kafkajs did not restart from, since the last batch committed (the restart's backoff). */
  private crashesInARow = 0;
  private startupProblem: string | undefined;
  private withdrawMetrics: (() => void) | undefined;
  private stallWatch: NodeJS.Timeout | undefined;
  private readonly limits: BatchLimits;
  private readonly transactionTimeoutMs: number;
  private readonly batchSize: AdaptiveBatchSize;
  private readonly stallAfterMs: number;
  private readonly sendSettings: ReturnType<typeof sendOptions>;

  constructor(private readonly options: StreamServerOptions) {
    super();
    this.limits = options.limits ?? DEFAULT_BATCH_LIMITS;
    this.transactionTimeoutMs = options.transactionTimeoutMs ?? 60_000;
    this.batchSize = new AdaptiveBatchSize(this.limits.maxRecords, this.transactionTimeoutMs / 6);
    this.stallAfterMs = options.stallAfterMs ?? 60_000;
    this.sendSettings = sendOptions(options.compression ?? 'none');
  }

  // Nest's Server contract: this transport has no event listeners and no message patterns.
  on(): void {
    return undefined;
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }

  async listen(callback: (...optionalParams: unknown[]) => void): Promise<void> {
    try {
      await this.start();
      callback();
    } catch (error) {
      // Stopped while it was still waiting for a dependency (SIGTERM at start-up): not a failure.
      callback(this.state === 'stopped' ? undefined : error);
    }
  }

  async close(): Promise<void> {
    this.state = 'stopped';
    clearInterval(this.stallWatch);
    // kafkajs finishes the batch in flight (its transaction commits) before leaving the group.
    await this.consumer?.disconnect().catch(() => undefined);
    await Promise.allSettled([...this.partitionProducers.values()].map(async (producer) => (await producer).disconnect()));
    this.partitionProducers.clear();
    await this.producer?.disconnect().catch(() => undefined);
    this.withdrawMetrics?.();
    await this.options.handler.close?.();
  }

  health(): StreamHealth {
    const stalled = this.board.stalled(this.stallAfterMs);
    const problems = stalled.map(
      (partition) => `${partition.topic}[${partition.partition}] stalled for ${Math.round(partition.stalledForMs / 1000)} s with lag ${partition.lag}${partition.lastError ? `: ${partition.lastError}` : ''}`,
    );
    if (this.state === 'crashed') problems.unshift(`consumer crashed: ${this.crash ?? 'unknown'}`);
    // Not ready until it has joined its group: until then it says what it is waiting for.
    if (this.state === 'starting') problems.unshift(`starting: ${this.startupProblem ?? 'joining the consumer group'}`);
    if (this.state === 'stopped') problems.unshift('stopped');
    return { ok: problems.length === 0, state: this.state, stalled, detail: problems.join('; ') || this.state };
  }

  private async start(): Promise<void> {
    const { kafka } = this.options;
    const options = this.options;
    await this.untilReady('creating topics', 'kafka', async () => {
      if (options.ensureTopics?.length) await ensureTopics(kafka, [...options.ensureTopics]);
    });
    // The handler's own dependencies (registry, database): its errors say which one failed.
    await this.untilReady('preparing the handler', undefined, async () => options.handler.prepare?.());
    this.producer = createReliableProducer(kafka);
    const producer = this.producer;
    await this.untilReady('connecting the producer', 'kafka', () => producer.connect());
    await this.runConsumer();
    this.withdrawMetrics = exposeProgress(options.groupId, this.board);
    this.stallWatch = setInterval(() => this.logStallChanges(), Math.min(STALL_CHECK_MS, this.stallAfterMs));
    this.stallWatch.unref();
    options.logger.log(`${options.name}: consuming ${options.topics.join(', ')}`, { group: options.groupId, delivery: options.delivery });
  }

  /** One line when a partition stalls (whatever holds it: a failing batch, a consumer that stopped fetching), one when it moves again. */
  private logStallChanges(): void {
    const { stalled, moving } = this.board.stallChanges(this.stallAfterMs);
    for (const partition of stalled) {
      const since = `${Math.round(partition.stalledForMs / 1000)} s`;
      this.options.logger.warn(`${this.options.name}: ${partition.topic}[${partition.partition}] stalled: lag ${partition.lag} and no progress for ${since}${partition.lastError ? `; last error: ${partition.lastError}` : ''}`);
    }
    for (const partition of moving) this.options.logger.log(`${this.options.name}: ${partition.topic}[${partition.partition}] moving again after ${Math.round(partition.stoodStillMs / 1000)} s`);
  }

  /** A consumer of the group, joined and running: at start, and again after a crash (restartAfterCrash). */
  private async runConsumer(): Promise<void> {
    const options = this.options;
    const fetchBytes = Math.min(this.limits.maxBytes, options.fetchBytesPerPartition ?? FETCH_BYTES_PER_PARTITION);
    const consumer = options.kafka.consumer({
      groupId: options.groupId,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      sessionTimeout: options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 1_000,
      // A short fetch wait keeps a graceful stop short: kafkajs waits for the outstanding fetch.
      maxWaitTimeInMs: 1000,
      // A fetch brings up to one transaction's worth per partition: the bigger a transaction, the more
      // updates of one key it folds into one state record. Memory stays bounded by the limits.
      maxBytesPerPartition: fetchBytes,
      maxBytes: fetchBytes * 2,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.state = 'running';
      void this.onAssignment(Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition }))));
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      this.board.fetched(payload.topic, payload.partition, Number(payload.highWatermark));
      if (payload.batchSize === 0) this.board.skipped(payload.topic, payload.partition, Number(payload.lastOffset));
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.crash = messageOf(payload.error);
      if (payload.restart || this.isStopped()) {
        options.logger.error(`${options.name}: consumer crashed${payload.restart ? ', restarting' : ''}`, { error: this.crash, group: options.groupId });
        return;
      }
      this.state = 'crashed';
      void this.restartAfterCrash(consumer);
    });
    await this.untilReady('joining the consumer group', 'kafka', async () => {
      await consumer.connect();
      await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? true });
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 2,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /**
   * kafkajs restarts its consumer only after errors it counts as retriable; after any other (a TypeError
   * inside the client, a handler bug) the consumer stays down and every partition of the replica with it.
   * The runtime starts a new one instead, after a backoff that grows while crashes repeat: the crashed
   * consumer left its group, so its partitions' state and producers go as on a revocation, and whoever
   * gets them next restores them. Until it has joined, /health says the consumer crashed, and why.
   */
  private async restartAfterCrash(crashed: Consumer): Promise<void> {
    const attempt = this.crashesInARow++;
    const delayMs = backoffMs(attempt, 1000, 30_000);
    streamMetrics.consumerRestarts.inc({ group: this.options.groupId });
    this.options.logger.error(`${this.options.name}: consumer crashed; a new consumer starts in ${Math.round(delayMs)} ms`, { error: this.crash, group: this.options.groupId, attempt });
    await crashed.disconnect().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (this.isStopped() || this.consumer !== crashed) return;
    await this.onAssignment([]);
    try {
      await this.runConsumer();
    } catch (error) {
      // Its group join failed for good (runConsumer waits out outages): the same again, later.
      if (this.isStopped() || !this.consumer) return;
      this.crash = messageOf(error);
      await this.restartAfterCrash(this.consumer);
    }
  }

  /**
   * Start-up steps wait for their dependency with backoff instead of failing the service; until
   * a step passes, /health says `starting: waiting for <dependency>: <reason>`. A step that needs
   * Kafka first checks the broker answers at all, without the client's own retries (they add up
   * to most of a minute): an outage is reported at once and its end noticed within the backoff.
   */
  private async untilReady(step: string, dependency: string | undefined, work: () => Promise<void>): Promise<void> {
    this.startupProblem = step;
    for (let attempt = 0; ; attempt++) {
      // Closed while waiting (SIGTERM at start-up): start nothing more.
      if (this.isStopped()) throw new Error(`${this.options.name}: stopped while ${step}`);
      try {
        if (dependency === 'kafka') await reachKafka(this.options.kafka);
        return await work();
      } catch (error) {
        const failure = classifyFailure(error);
        if (failure.kind !== 'retriable' || this.isStopped()) throw error;
        this.startupProblem = `waiting for ${dependencyOf(error) ?? dependency ?? 'a dependency'}: ${failure.reason}`;
        if (attempt % 10 === 0) this.options.logger.warn(`${this.options.name}: ${step}, ${this.startupProblem}`, { attempt });
        const { initialMs, maxMs } = this.options.startupBackoff ?? { initialMs: 200, maxMs: 2000 };
        await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt, initialMs, maxMs)));
      }
    }
  }

  private isStopped(): boolean {
    return this.state === 'stopped';
  }

  /** Revoked partitions lose their state and producer; new ones are announced before their first batch. */
  private async onAssignment(partitions: TopicPartition[]): Promise<void> {
    const now = new Set(partitions.map(key));
    const before = new Set(this.assignedPartitions.map(key));
    const revoked = this.assignedPartitions.filter((partition) => !now.has(key(partition)));
    const added = partitions.filter((partition) => !before.has(key(partition)));
    this.assignedPartitions = partitions;
    for (const partition of revoked) {
      this.board.revoke(partition.topic, partition.partition);
      this.dropProducer(partition);
    }
    for (const partition of partitions) this.board.assign(partition.topic, partition.partition);
    try {
      if (revoked.length > 0) await this.options.handler.revoked?.(revoked);
      if (added.length > 0) await this.options.handler.assigned?.(added);
    } catch (error) {
      this.options.logger.error(`${this.options.name}: rebalance callback failed`, { error: messageOf(error) });
    }
    this.options.logger.log(`${this.options.name}: assigned ${partitions.map(key).join(', ') || 'nothing'}`, { group: this.options.groupId });
  }

  /** Transactional delivery: lets go of a partition's producer and of the position it owned the partition at. */
  private dropProducer(partition: TopicPartition): void {
    const producer = this.partitionProducers.get(key(partition));
    this.partitionProducers.delete(key(partition));
    this.positions.delete(key(partition));
    void producer?.then((owned) => owned.disconnect()).catch(() => undefined);
  }

  /**
   * After a failed batch the handler's state may be ahead of what was committed, and in
   * transactional delivery what was committed may not be readable yet: a commit returns once the
   * coordinator has prepared it, its markers reach the changelog and the group's offsets later
   * (seconds later after a broker restart), and a commit whose outcome the client never learnt may
   * still complete. Restoring the state at once could read it without this replica's last
   * transaction and redo that transaction's records. So the state goes together with the
   * partition's producer: the next attempt owns the partition anew (its InitProducerId completes
   * or aborts every transaction of the id first) and only then restores the state and its
   * position, exactly as a replica taking the partition over does (Kafka Streams closes such a
   * task dirty and revives it from its changelog).
   */
  private async discardWork(partition: TopicPartition): Promise<void> {
    if (this.options.delivery === 'transactional') this.dropProducer(partition);
    await this.options.handler.revoked?.([partition]);
  }

  /**
   * Transactional delivery: the partition's own producer. Creating it (InitProducerId) fences
   * every earlier owner of the partition and completes or aborts its open transaction.
   */
  private async ownPartition(partition: TopicPartition): Promise<Producer> {
    const existing = this.partitionProducers.get(key(partition));
    if (existing) return existing;
    const creating = (async () => {
      const producer = createTransactionalProducer(this.options.kafka, `${this.options.groupId}.${partition.topic}.${partition.partition}`, {
        transactionTimeout: this.transactionTimeoutMs,
        // Backoff capped at 5 s: a partition waiting for the broker resumes soon after it is back.
        retry: { ...TRANSACTION_RETRY, maxRetryTime: 5000 },
      });
      try {
        await producer.connect();
        // Fenced (and the previous owner's last transaction completed) before the committed position is read,
        // and whatever a broker restart left hanging on the partitions it writes to settled (committed).
        await takeOverTransactionalId(this.options.kafka, producer, { topics: this.writtenTopics(), offsets: { groupId: this.options.groupId } });
        return producer;
      } catch (error) {
        // The next attempt makes a producer of its own: this one lets go of its connections.
        await producer.disconnect().catch(() => undefined);
        throw error;
      }
    })();
    this.partitionProducers.set(key(partition), creating);
    try {
      return await creating;
    } catch (error) {
      this.partitionProducers.delete(key(partition));
      throw error;
    }
  }

  /**
   * Transactional delivery: the next input offset the partition's committed state stands for.
   * A partition this replica does not own (new to it, or given up after a failed batch) is owned
   * first, fencing every earlier owner; only then are the group's offset and the handler's read.
   */
  private async ownedPosition(partition: TopicPartition, payload: EachBatchPayload): Promise<{ position: bigint | undefined; resumed: boolean }> {
    if (this.partitionProducers.has(key(partition))) return { position: this.positions.get(key(partition)), resumed: false };
    const startedAt = performance.now();
    await this.retrying(partition, payload, () => this.ownPartition(partition));
    const ownedAt = performance.now();
    try {
      const resumeAt = await this.retrying(partition, payload, () => this.resumePosition(partition));
      if (resumeAt !== undefined) this.positions.set(key(partition), BigInt(resumeAt));
      const ms = (since: number) => Math.round(performance.now() - since);
      this.options.logger.log(`${this.options.name}: ${key(partition)}: taken over in ${ms(startedAt)} ms, resuming ${resumeAt === undefined ? 'where the consumer starts (nothing committed yet)' : `at offset ${resumeAt}`}`, { fenceMs: Math.round(ownedAt - startedAt), positionMs: ms(ownedAt) });
      return { position: resumeAt === undefined ? undefined : BigInt(resumeAt), resumed: true };
    } catch (error) {
      // Owned without a known position would skip the checks below: own it again next time.
      this.dropProducer(partition);
      throw error;
    }
  }

  /** What this server's transactions write to: the topics it makes sure of, besides its inputs. */
  private writtenTopics(): string[] {
    return (this.options.ensureTopics ?? []).map((spec) => spec.topic).filter((topic) => !this.options.topics.includes(topic));
  }

  /** The group's committed offset of a partition (read after fencing, so no earlier owner can move it any more). */
  private async committedOffset(partition: TopicPartition): Promise<string | undefined> {
    const [committed] = await withAdmin(this.options.kafka, (admin) => admin.fetchOffsets({ groupId: this.options.groupId, topics: [partition.topic] }));
    const offset = committed?.partitions.find((entry) => entry.partition === partition.partition)?.offset;
    return offset !== undefined && Number(offset) >= 0 ? offset : undefined;
  }

  /** Where a partition taken over resumes: the handler's own position when it keeps one (see resumeOffset), else the group's offset. */
  private async resumePosition(partition: TopicPartition): Promise<string | undefined> {
    const [group, own] = await Promise.all([this.committedOffset(partition), this.options.handler.resumeOffset?.(partition)]);
    if (own === undefined) return group;
    if (group !== undefined && BigInt(group) > BigInt(own)) {
      // One transaction ended differently on the offsets and on the state (its markers skipped on some partitions by a restarted broker).
      streamMetrics.rewinds.inc({ group: this.options.groupId });
      this.options.logger.warn(`${this.options.name}: ${key(partition)}: the group's offset ${group} is past the position ${own} its committed state stands for; resuming from ${own} (the outputs of the records between may be committed twice)`);
    }
    return own;
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, isRunning, isStale } = payload;
    const partition = { topic: batch.topic, partition: batch.partition };
    if (!isRunning() || isStale()) return;
    this.board.fetched(batch.topic, batch.partition, Number(batch.highWatermark));
    let records: readonly StreamRecord[] = batch.messages.map(
      (message): StreamRecord => ({ topic: batch.topic, partition: batch.partition, offset: message.offset, key: message.key, value: message.value, headers: message.headers ?? {} }),
    );
    if (this.options.delivery === 'transactional') {
      const { position, resumed } = await this.ownedPosition(partition, payload);
      const first = batch.firstOffset();
      if (position !== undefined && first !== null) {
        // Taken over: a consumer ahead of the state it resumes from (a fenced zombie's position) goes back to it.
        if (resumed && BigInt(first) > position) return this.seek(partition, position);
        // A consumer behind it skips what is committed: after a rejoin kafkajs fetches from the group's
        // offset, read without require_stable, which can still lag the last commit.
        records = fromPosition(records, position);
        if (records.length === 0) return this.seek(partition, position);
      }
    }
    for (let from = 0; from < records.length; ) {
      if (!isRunning() || isStale()) return;
      const chunk = nextChunk(records, from, recordSize, { maxRecords: this.batchSize.current, maxBytes: this.limits.maxBytes });
      from += chunk.length;
      // Read again from an earlier offset: the rest of this batch is dropped (the consumer fetches from there).
      if ((await this.processChunk(partition, chunk, payload)) === 'rewound') return;
      const last = chunk[chunk.length - 1];
      if (last) payload.resolveOffset(last.offset);
      await payload.heartbeat();
    }
    // Processed to its end: the batch's trailing transaction marker (or aborted records) is passed too.
    // kafkajs does not fetch it again, so without this a quiet transactional input showed lag 1 for ever.
    if (isRunning() && !isStale()) this.board.skipped(batch.topic, batch.partition, Number(batch.lastOffset()));
  }

  /** The consumer fetches the partition from `offset` next; the batch in hand is dropped. */
  private seek(partition: TopicPartition, offset: bigint): void {
    this.consumer?.seek({ topic: partition.topic, partition: partition.partition, offset: offset.toString() });
  }

  /**
   * Retries the steps of owning a partition (its producer, the offsets look-up) after an outage and after an
   * unclassified failure alike, with backoff: they concern no record, so there is nothing to isolate, and thrown
   * out of the batch they would crash the consumer and every partition of the replica with it. Fenced while
   * taking the partition over (two replicas in the middle of a rebalance), it asks the group who owns it, as a
   * fenced batch does.
   */
  private async retrying<T>(partition: TopicPartition, payload: EachBatchPayload, work: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        const failure = classifyFailure(error);
        if (failure.kind === 'fenced') {
          await this.fenced(partition, failure, payload);
          continue;
        }
        if (failure.kind !== 'retriable' && failure.kind !== 'unknown') throw error;
        await this.backOff(partition, failure, attempt, payload);
      }
    }
  }

  /** Counts and logs a retry and waits its backoff, heartbeating; throws if the batch was abandoned meanwhile. */
  private async backOff(partition: TopicPartition, failure: Failure, attempt: number, payload: EachBatchPayload): Promise<void> {
    streamMetrics.retries.inc({ group: this.options.groupId, reason_class: failure.reasonClass });
    this.board.failed(partition.topic, partition.partition, failure.reason);
    if (attempt === 0 || attempt % 10 === 0) {
      this.options.logger.warn(`${this.options.name}: ${key(partition)} failed (${failure.kind}), retrying`, { reasonClass: failure.reasonClass, reason: failure.reason, attempt });
    }
    const { initialMs, maxMs } = this.options.retryBackoff ?? { initialMs: 200, maxMs: 15_000 };
    await this.waitHeartbeating(backoffMs(attempt, initialMs, maxMs), payload);
    abandonIfStale(partition, failure, payload);
  }

  private async waitHeartbeating(waitMs: number, payload: EachBatchPayload): Promise<void> {
    for (let waited = 0; waited < waitMs; waited += 1000) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, waitMs - waited)));
      await this.keepMembership(payload);
    }
  }

  /** Heartbeats while a batch is retried; a rebalance ends the batch (kafkajs rejoins), an unreachable broker does not. */
  private async keepMembership(payload: EachBatchPayload): Promise<void> {
    try {
      await payload.heartbeat();
    } catch (error) {
      if (/rebalanc|not aware of this member|unknown member|generation/i.test(messageOf(error))) throw error;
    }
  }

  /**
   * Hands one bounded run of records to the handler and commits it. Failures are classified
   * once: retriable ones are retried with backoff; a record-level (or persistently
   * unclassified) failure splits the run in halves until the one record is found, which is
   * dead-lettered with its reason (`isolated`: this run is that record); a fenced partition is
   * given up. In transactional delivery every attempt first makes sure this replica owns the
   * partition and skips records an attempt of unknown outcome turned out to have committed.
   */
  private async processChunk(partition: TopicPartition, chunk: readonly StreamRecord[], payload: EachBatchPayload, isolated?: Failure): Promise<ChunkOutcome> {
    const isolateAfter = this.options.isolateAfterAttempts ?? 3;
    let unknownFailures = 0;
    // Where this replica's own commits have brought the partition (a failed attempt drops it with the producer).
    const committedBefore = this.positions.get(key(partition));
    for (let attempt = 0; ; attempt++) {
      const startedAt = process.hrtime.bigint();
      let records = chunk;
      try {
        if (this.options.delivery === 'transactional') {
          const { position, resumed } = await this.ownedPosition(partition, payload);
          if (resumed && position !== undefined && committedBefore !== undefined && position < committedBefore) return this.rewind(partition, position, committedBefore);
          if (position !== undefined) records = fromPosition(records, position);
          if (records.length === 0) return 'committed';
        }
        const result: HandlerResult = isolated ? { rejected: records.map((record) => ({ record, failure: isolated })) } : await this.options.handler.handle(partition, records);
        await this.commit(partition, records, result);
        const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
        streamMetrics.batchSeconds.observe({ group: this.options.groupId }, seconds);
        if (!isolated) this.batchSize.observe(records.length, seconds * 1000);
        return 'committed';
      } catch (error) {
        const failure = classifyFailure(error);
        // The handler's state may be ahead of what was committed: it restores (after owning the partition anew) before the retry.
        await this.discardWork(partition);
        if (failure.kind === 'fenced') {
          this.shrinkIfExpired(partition, records.length, Number(process.hrtime.bigint() - startedAt) / 1e6);
          await this.fenced(partition, failure, payload);
          continue;
        }
        if (isolated && failure.kind !== 'retriable') throw error;
        if (failure.kind === 'unknown') unknownFailures += 1;
        if (!isolated && (failure.kind === 'record' || unknownFailures >= isolateAfter)) {
          if (records.length === 1 && records[0]) return this.deadLetterAlone(partition, records[0], failure, payload);
          streamMetrics.splits.inc({ group: this.options.groupId });
          const middle = Math.ceil(records.length / 2);
          if ((await this.processChunk(partition, records.slice(0, middle), payload)) === 'rewound') return 'rewound';
          if (!payload.isRunning() || payload.isStale()) return 'committed';
          return this.processChunk(partition, records.slice(middle), payload);
        }
        await this.backOff(partition, failure, attempt, payload);
      }
    }
  }

  private async deadLetterAlone(partition: TopicPartition, record: StreamRecord, failure: Failure, payload: EachBatchPayload): Promise<ChunkOutcome> {
    this.options.logger.warn(`${this.options.name}: ${key(partition)}@${record.offset} dead-lettered`, { reasonClass: failure.reasonClass, reason: failure.reason });
    return this.processChunk(partition, [record], payload, failure);
  }

  /**
   * Owned anew after a failed attempt, the partition's committed state stands for an offset before the one
   * this replica's last commit reached: transactions it saw commit are not in the log. Measured after a broker's
   * kill -9 (Kafka 4.4, one node): the restarted coordinator skipped a committed transaction's markers
   * ("Couldn't find leader endpoint … can be skipped", see settleLeftovers), and the producer's next
   * transaction, aborted after an outage, ended the unmarked records with its own abort marker, state and
   * offsets alike. Going on from the records in hand would lose what lies between (a chaos run lost ten
   * readings so); the consumer reads again from the position instead.
   */
  private rewind(partition: TopicPartition, position: bigint, committedBefore: bigint): 'rewound' {
    streamMetrics.rewinds.inc({ group: this.options.groupId });
    this.options.logger.warn(`${this.options.name}: ${key(partition)}: its committed state stands for offset ${position}, though this replica had committed up to ${committedBefore}: transactions it saw commit are missing from the log; reading again from ${position}`);
    this.seek(partition, position);
    return 'rewound';
  }

  /**
   * A batch that outlived the transaction timeout was aborted by the broker, which reads as
   * fenced: the partition starts over, so the batch that follows must be smaller, or it would
   * expire the same way forever.
   */
  private shrinkIfExpired(partition: TopicPartition, records: number, elapsedMs: number): void {
    if (this.options.delivery !== 'transactional' || elapsedMs < this.transactionTimeoutMs * 0.9) return;
    this.batchSize.shrink(records);
    this.options.logger.warn(`${this.options.name}: ${key(partition)}: a batch of ${records} records took ${Math.round(elapsedMs / 1000)} s, past the ${this.transactionTimeoutMs / 1000} s transaction timeout; batches now hold at most ${this.batchSize.current} records`);
  }

  /**
   * Another producer of the partition's transactional id fenced this one: either this replica is a
   * zombie (paused past its session, the partition moved on), or the fencer is (an earlier owner that
   * woke up after the group gave the partition back to this replica). The group tells which: while
   * this replica waits, its heartbeats end the batch on a rebalance or an expired membership (kafkajs
   * rejoins, and the partition's next owner fences and resumes). If the group still gives it the
   * partition, it owns it anew (fencing the zombie) and resumes from the committed position; waiting
   * for a rebalance instead would leave the partition unprocessed when none comes.
   */
  private async fenced(partition: TopicPartition, failure: Failure, payload: EachBatchPayload): Promise<void> {
    streamMetrics.fenced.inc({ group: this.options.groupId });
    this.board.failed(partition.topic, partition.partition, failure.reason);
    this.options.logger.warn(`${this.options.name}: ${key(partition)} was fenced by another producer; asking the group who owns it`, { reason: failure.reason });
    // Long enough for kafkajs to send at least one heartbeat (it sends at most one per interval).
    await this.waitHeartbeating(2 * (this.options.heartbeatIntervalMs ?? 1_000) + 100, payload);
    abandonIfStale(partition, failure, payload);
  }

  private async commit(partition: TopicPartition, records: readonly StreamRecord[], result: HandlerResult): Promise<void> {
    const last = records[records.length - 1];
    if (!last) return;
    const nextOffset = (BigInt(last.offset) + 1n).toString();
    const deadLetters = (result.rejected ?? []).map(({ record, failure, contract }) => ({
      topic: this.options.deadLetterTopic,
      message: deadLetterRecord({ reason: failure.reason, reasonClass: failure.reasonClass, source: this.options.name, contract, origin: record, key: record.key, value: record.value, headers: record.headers }),
    }));
    const outgoing = [...(result.outputs ?? []), ...deadLetters];
    if (this.options.delivery === 'transactional') {
      const owned = this.partitionProducers.get(key(partition));
      // Owned by the caller just before; a rebalance in between gave it away: own it again (and resume) first.
      if (!owned) throw new NotOwnedError(partition);
      const producer = await owned;
      // Every transaction, a dead letter's alone included, carries the handler's checkpoint of this position.
      for (const output of this.options.handler.checkpoint?.(partition, nextOffset) ?? []) outgoing.push(output);
      const transaction = await producer.transaction();
      try {
        // In requests of bounded size: one request per transaction would exceed the broker's limits.
        for (const request of requestsOf(outgoing)) await transaction.sendBatch({ ...this.sendSettings, topicMessages: groupMessages(request) });
        await transaction.sendOffsets({ consumerGroupId: this.options.groupId, topics: [{ topic: partition.topic, partitions: [{ partition: partition.partition, offset: nextOffset }] }] });
        await transaction.commit();
      } catch (error) {
        const abortError = await transaction.abort().then(
          () => undefined,
          (failure: unknown) => failure,
        );
        if (abortError === undefined || classifyFailure(error).kind === 'fenced') throw error;
        // A fenced abort: another producer has the partition; the group decides who owns it (see fenced()).
        if (classifyFailure(abortError).kind === 'fenced') throw abortError;
        throw new TransactionOutcomeUnknownError(partition, error);
      }
      this.positions.set(key(partition), BigInt(nextOffset));
    } else {
      for (const request of requestsOf(outgoing)) await this.producer?.sendBatch({ ...this.sendSettings, topicMessages: groupMessages(request) });
      await this.consumer?.commitOffsets([{ topic: partition.topic, partition: partition.partition, offset: nextOffset }]);
    }
    this.board.committed(partition.topic, partition.partition, Number(nextOffset));
    this.crashesInARow = 0;
    streamMetrics.records.inc({ group: this.options.groupId, topic: partition.topic, partition: String(partition.partition) }, records.length);
    streamMetrics.batches.inc({ group: this.options.groupId });
    for (const { failure } of result.rejected ?? []) streamMetrics.deadLetters.inc({ group: this.options.groupId, reason_class: failure.reasonClass });
    result.onCommitted?.();
  }
}

/** What became of a run of records: committed (or found committed already), or dropped for a read from an earlier offset. */
type ChunkOutcome = 'committed' | 'rewound';

/** The records of a run from `position` on (offsets ascend, so most runs are returned whole). */
function fromPosition(records: readonly StreamRecord[], position: bigint): readonly StreamRecord[] {
  const first = records[0];
  if (!first || BigInt(first.offset) >= position) return records;
  const at = records.findIndex((record) => BigInt(record.offset) >= position);
  return at < 0 ? [] : records.slice(at);
}

function recordSize(record: StreamRecord): number {
  return (record.key?.length ?? 0) + (record.value?.length ?? 0) + 64;
}

/** Bytes of outputs per produce request: well under the broker's default 1 MiB record batch per partition. */
const REQUEST_BYTES = 512 * 1024;

type Outgoing = { readonly topic: string; readonly message: Message };

function messageSize({ message }: Outgoing): number {
  const size = (value: Message['key'] | Message['value']) => (value === null || value === undefined ? 0 : typeof value === 'string' ? Buffer.byteLength(value) : value.length);
  return size(message.key) + size(message.value) + 64;
}

/** Outputs cut into produce requests of at most REQUEST_BYTES (a larger record goes alone). */
function requestsOf(outgoing: readonly Outgoing[]): Outgoing[][] {
  return boundedChunks(outgoing, messageSize, { maxRecords: Number.MAX_SAFE_INTEGER, maxBytes: REQUEST_BYTES });
}

function groupMessages(outgoing: ReadonlyArray<{ readonly topic: string; readonly message: Message }>): Array<{ topic: string; messages: Message[] }> {
  const byTopic = new Map<string, Message[]>();
  for (const { topic, message } of outgoing) {
    const list = byTopic.get(topic);
    if (list) list.push(message);
    else byTopic.set(topic, [message]);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
