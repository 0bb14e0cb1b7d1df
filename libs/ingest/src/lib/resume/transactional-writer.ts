import { sendOptions, type CompressionName, type Message, type Producer, type Transaction } from '@pipeline/kafka';
import type { RecordWriter, SourceReached, TopicRecords } from '../publish/record-writer';
import { positionMessage, type JobPosition } from './job-position';

export interface TransactionalWriterOptions {
  producer: Producer;
  positionsTopic: string;
  /** The position the job starts from: its definition, input, and what earlier runs committed. */
  start: JobPosition;
  /** A transaction is committed once it is this old (and at every heartbeat). Default DEFAULT_COMMIT_INTERVAL_MS. */
  commitIntervalMs?: number;
  /** The source's own resume point once its first `read` inputs of this run are committed (see ResumableSource.stateAt). */
  stateAt?: (read: number) => Record<string, unknown> | undefined;
  /** Codec of the record batches. Default INGEST_COMPRESSION. */
  compression?: CompressionName;
  now?: () => number;
}

/**
 * Paced and live jobs: a record is invisible to read-committed readers until its transaction commits, so
 * this bounds what ingestion adds to the pipeline's latency (measured: at 250 ms it was most of a window's
 * p99 from close to row; README, Latency from window close to the warehouse).
 */
export const DEFAULT_COMMIT_INTERVAL_MS = 100;

/**
 * For `asap` runs (bulk replays): nobody waits on each row, and commits are round trips the
 * transactional producer cannot overlap; 1 s is also the default heartbeat interval, which commits anyway.
 * Measured 1.3–2× the rows/s of 250 ms in A/B runs (libs/ingest README).
 */
export const BULK_COMMIT_INTERVAL_MS = 1000;

/**
 * Measured (libs/ingest README): uncompressed batches cost the replay 12–15 % less CPU per row than gzip
 * (and spare the broker decompressing them to validate), with rows/s no worse; CPU is what limits the
 * replay where the broker shares its cores. lz4/zstd would need a codec package for kafkajs.
 */
export const INGEST_COMPRESSION: CompressionName = 'none';

/**
 * Writes a job's records in Kafka transactions, each ending with the job's position after
 * its last input: after a crash, what is committed on the event topic and the position a
 * restarted run resumes from are the same thing. Batches of the pump accumulate in one
 * transaction for `commitIntervalMs` (a commit per batch of 500 would halve throughput);
 * heartbeats commit at once, so the aggregator sees them when they are due.
 */
export class TransactionalWriter implements RecordWriter {
  private transaction: Transaction | undefined;
  private openedAt = 0;
  private position: JobPosition;
  private readonly commitIntervalMs: number;
  private readonly send: ReturnType<typeof sendOptions>;
  private readonly now: () => number;

  constructor(private readonly options: TransactionalWriterOptions) {
    this.position = options.start;
    this.commitIntervalMs = options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS;
    this.now = options.now ?? Date.now;
    this.send = sendOptions(options.compression ?? INGEST_COMPRESSION);
  }

  /** The position as of the last write (committed once the current transaction commits). */
  get current(): JobPosition {
    return this.position;
  }

  async write(topicMessages: TopicRecords[], reached?: SourceReached): Promise<void> {
    const transaction = await this.open();
    // A failed write leaves the transaction to be abandoned (aborted), so the position may move first.
    if (reached) {
      const counts = { ...this.position.counts };
      counts.read = this.options.start.counts.read + reached.read;
      counts.produced += reached.produced;
      counts.deadLettered += reached.deadLettered;
      const state = this.options.stateAt?.(reached.read) ?? this.position.state;
      this.position = { ...this.position, items: this.options.start.items + reached.read, lastPosition: reached.position, counts, ...(state ? { state } : {}) };
    }
    // Heartbeats (alone, or riding with data) are committed at once; data when the transaction is old enough.
    const commitNow = !reached || reached.commit === true || this.now() - this.openedAt >= this.commitIntervalMs;
    // The position rides in the same produce request as the transaction's last records: a round trip fewer per commit.
    await transaction.sendBatch({ ...this.send, topicMessages: commitNow ? [...topicMessages, this.positionRecords()] : topicMessages });
    if (commitNow) await this.end();
  }

  /** Commits what is open; `finished` marks the job done (its END_OF_INPUT heartbeats are committed). */
  async flush(finished = false): Promise<void> {
    if (finished) this.position = { ...this.position, finished: true };
    if (finished && !this.transaction) await this.open();
    await this.commit();
  }

  /** After a failure: aborts the open transaction (a restarted run would abort it anyway). */
  async abandon(): Promise<void> {
    const transaction = this.transaction;
    this.transaction = undefined;
    await transaction?.abort().catch(() => undefined);
  }

  private async open(): Promise<Transaction> {
    if (!this.transaction) {
      this.transaction = await this.options.producer.transaction();
      this.openedAt = this.now();
    }
    return this.transaction;
  }

  private positionRecords(): TopicRecords {
    const record: Message = positionMessage({ ...this.position, updatedAt: new Date().toISOString() });
    return { topic: this.options.positionsTopic, messages: [record] };
  }

  private async commit(): Promise<void> {
    const transaction = this.transaction;
    if (!transaction) return;
    await transaction.sendBatch({ ...this.send, topicMessages: [this.positionRecords()] });
    await this.end();
  }

  private async end(): Promise<void> {
    await this.transaction?.commit();
    this.transaction = undefined;
  }
}
