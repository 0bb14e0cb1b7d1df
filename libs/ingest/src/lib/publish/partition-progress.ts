import { END_OF_INPUT, watermarkHeartbeat, type HeartbeatMessage } from '@pipeline/contracts';

/**
 * The source sets the partition of every record itself (the default partitioner's), so it knows
 * for sure which partition each event went to (what a heartbeat to that partition may claim depends on it).
 */
export { murmur2, partitionOfKey } from '@pipeline/kafka';

function later(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.max(a, b);
}

/** Highest event time per partition among some records (one send). */
export class PartitionMaxima {
  readonly byPartition = new Map<number, number>();
  /** Over all partitions. */
  highest: number | undefined;

  note(partition: number, eventTime: number): void {
    const current = this.byPartition.get(partition);
    if (current === undefined || eventTime > current) this.byPartition.set(partition, eventTime);
    if (this.highest === undefined || eventTime > this.highest) this.highest = eventTime;
  }
}

export interface PartitionProgressOptions {
  partitions: number;
  /**
   * Declared disorder bound of the source, ms: no event is older than the source's highest
   * event time so far minus this. With it, every partition may get heartbeats at
   * (highest acknowledged event time of the whole source − bound); events breaking it are
   * refused at the source. Without it, a partition only ever hears its own progress.
   */
  maxDisorderMs?: number;
}

export class InvalidDisorderBoundError extends Error {
  readonly retriable = false;
  constructor(readonly maxDisorderMs: number) {
    super(`maxDisorder must be a non-negative finite number of ms, got ${maxDisorderMs}`);
    this.name = 'InvalidDisorderBoundError';
  }
}

/**
 * What a source may tell each partition about event time. A heartbeat to partition p is
 * safe when no later event of p can be older than it (so it never makes on-time data late):
 * p's own highest acknowledged event time always is (the events are already there), and so
 * is (source maximum − maxDisorder) when the source enforces that bound on every event it
 * sends. Heartbeats follow acknowledged data only; END_OF_INPUT closes everything.
 */
export class PartitionProgress {
  private readonly acknowledged: Array<number | undefined>;
  private acknowledgedMax: number | undefined;
  private admittedMax: number | undefined;
  private readonly maxDisorderMs: number | undefined;

  constructor(options: PartitionProgressOptions) {
    if (!Number.isInteger(options.partitions) || options.partitions < 1) throw new RangeError(`partitions must be a positive integer, got ${options.partitions}`);
    const bound = options.maxDisorderMs;
    if (bound !== undefined && (!Number.isFinite(bound) || bound < 0)) throw new InvalidDisorderBoundError(bound);
    this.maxDisorderMs = bound;
    this.acknowledged = Array.from({ length: options.partitions }, () => undefined);
  }

  get partitions(): number {
    return this.acknowledged.length;
  }

  /**
   * Checks an event against the declared disorder bound before it is sent. Returns the
   * reason to refuse it (it breaks the bound), or undefined when it may be sent (it then
   * counts towards the source's maximum).
   */
  admit(eventTime: number): string | undefined {
    const bound = this.maxDisorderMs;
    if (bound !== undefined && this.admittedMax !== undefined && eventTime < this.admittedMax - bound) {
      return (
        `event time ${new Date(eventTime).toISOString()} is ${this.admittedMax - eventTime} ms behind the source's highest event time ` +
        `${new Date(this.admittedMax).toISOString()}, beyond its declared maxDisorder of ${bound} ms`
      );
    }
    if (this.admittedMax === undefined || eventTime > this.admittedMax) this.admittedMax = eventTime;
    return undefined;
  }

  /** Records that a send carrying these maxima was acknowledged by the broker. */
  acknowledge(maxima: PartitionMaxima): void {
    for (const [partition, eventTime] of maxima.byPartition) {
      const current = this.acknowledged[partition];
      if (current === undefined || eventTime > current) this.acknowledged[partition] = eventTime;
      if (this.acknowledgedMax === undefined || eventTime > this.acknowledgedMax) this.acknowledgedMax = eventTime;
    }
  }

  /**
   * The safe heartbeat time of a partition, or undefined when nothing can be said yet.
   * `pending`: records sent in the same write as the heartbeat, counted as acknowledged (see heartbeats).
   */
  watermarkOf(partition: number, pending?: PartitionMaxima): number | undefined {
    const own = later(this.acknowledged[partition], pending?.byPartition.get(partition));
    const bound = this.maxDisorderMs;
    const highest = later(this.acknowledgedMax, pending?.highest);
    const global = bound === undefined || highest === undefined ? undefined : Math.max(0, highest - bound);
    return later(own, global);
  }

  /**
   * One heartbeat per partition that has a safe time (none before anything was acknowledged).
   * With `pending`, the heartbeats go in the same transactional write as those records, after
   * them in each partition: both are committed together or aborted together, so the heartbeat
   * may count them as if acknowledged (no separate round trip after their acknowledgement).
   */
  heartbeats(pending?: PartitionMaxima): HeartbeatMessage[] {
    const messages: HeartbeatMessage[] = [];
    for (let partition = 0; partition < this.acknowledged.length; partition++) {
      const eventTime = this.watermarkOf(partition, pending);
      if (eventTime !== undefined) messages.push(watermarkHeartbeat(partition, eventTime));
    }
    return messages;
  }

  /** What a run sends when its source stops: each partition's progress, then END_OF_INPUT everywhere when the source ran out. */
  closingRounds(endOfInput: boolean): HeartbeatMessage[][] {
    const rounds = [this.heartbeats()];
    if (endOfInput) rounds.push(Array.from({ length: this.acknowledged.length }, (_, partition) => watermarkHeartbeat(partition, END_OF_INPUT)));
    return rounds.filter((round) => round.length > 0);
  }
}
