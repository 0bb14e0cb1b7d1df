/** How far one assigned partition has got, and whether it keeps moving. */
export interface PartitionProgress {
  readonly topic: string;
  readonly partition: number;
  /** Next offset to read as committed by this replica (-1 before its first commit). */
  committedOffset: number;
  /** Highest offset this replica has got past (records processed, or transaction markers skipped). */
  lastSeenOffset: number;
  /** Log end offset as last seen in a fetch or an offsets query. */
  highWatermark: number;
  /** Processing time of the last commit (or of the assignment). */
  lastProgressAt: number;
  /** Set while a batch is failing; cleared by the next commit. */
  lastError: string | undefined;
}

export interface StalledPartition {
  readonly topic: string;
  readonly partition: number;
  readonly lag: number;
  readonly stalledForMs: number;
  readonly lastError: string | undefined;
}

const keyOf = (topic: string, partition: number) => `${topic}:${partition}`;

/**
 * Progress of the partitions assigned to one consumer, kept as the runtime commits. A
 * partition is stalled when it has records waiting and has committed nothing for
 * `stallAfterMs`: that is what /health and the metrics report, naming the partition.
 */
export class ProgressBoard {
  private readonly partitions = new Map<string, PartitionProgress>();
  /** Partitions reported stalled by stallChanges, with the time of their last progress before the stall. */
  private readonly reportedStalls = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  assign(topic: string, partition: number): PartitionProgress {
    const key = keyOf(topic, partition);
    let progress = this.partitions.get(key);
    if (!progress) {
      progress = { topic, partition, committedOffset: -1, lastSeenOffset: -1, highWatermark: 0, lastProgressAt: this.now(), lastError: undefined };
      this.partitions.set(key, progress);
    }
    return progress;
  }

  revoke(topic: string, partition: number): void {
    this.partitions.delete(keyOf(topic, partition));
    this.reportedStalls.delete(keyOf(topic, partition));
  }

  all(): PartitionProgress[] {
    return [...this.partitions.values()];
  }

  fetched(topic: string, partition: number, highWatermark: number): void {
    const progress = this.partitions.get(keyOf(topic, partition));
    if (progress && highWatermark > progress.highWatermark) progress.highWatermark = highWatermark;
  }

  /** A fetch that held only transaction markers or aborted records: nothing to do, but the partition moved. */
  skipped(topic: string, partition: number, lastOffset: number): void {
    const progress = this.partitions.get(keyOf(topic, partition));
    if (!progress || lastOffset <= progress.lastSeenOffset) return;
    progress.lastSeenOffset = lastOffset;
    progress.lastProgressAt = this.now();
  }

  committed(topic: string, partition: number, nextOffset: number): void {
    const progress = this.assign(topic, partition);
    progress.committedOffset = nextOffset;
    progress.lastSeenOffset = Math.max(progress.lastSeenOffset, nextOffset - 1);
    progress.lastProgressAt = this.now();
    progress.lastError = undefined;
  }

  failed(topic: string, partition: number, reason: string): void {
    const progress = this.partitions.get(keyOf(topic, partition));
    if (progress) progress.lastError = reason;
  }

  lag(progress: PartitionProgress): number {
    return Math.max(0, progress.highWatermark - 1 - progress.lastSeenOffset);
  }

  stalled(stallAfterMs: number): StalledPartition[] {
    const now = this.now();
    const stalled: StalledPartition[] = [];
    for (const progress of this.partitions.values()) {
      const lag = this.lag(progress);
      const stalledForMs = now - progress.lastProgressAt;
      if (lag > 0 && stalledForMs > stallAfterMs) stalled.push({ topic: progress.topic, partition: progress.partition, lag, stalledForMs, lastError: progress.lastError });
    }
    return stalled;
  }

  /**
   * What changed since the last call: the partitions that have become stalled, and those that were
   * and have moved since (with how long they stood still). For one log line each way; the metrics
   * and /health report the state itself.
   */
  stallChanges(stallAfterMs: number): { stalled: StalledPartition[]; moving: MovingAgain[] } {
    const stalled = this.stalled(stallAfterMs).filter((partition) => !this.reportedStalls.has(keyOf(partition.topic, partition.partition)));
    for (const partition of stalled) this.reportedStalls.set(keyOf(partition.topic, partition.partition), this.now() - partition.stalledForMs);
    const moving: MovingAgain[] = [];
    for (const [key, stillSince] of this.reportedStalls) {
      const progress = this.partitions.get(key);
      if (!progress || progress.lastProgressAt === stillSince) continue;
      this.reportedStalls.delete(key);
      moving.push({ topic: progress.topic, partition: progress.partition, stoodStillMs: progress.lastProgressAt - stillSince });
    }
    return { stalled, moving };
  }
}

export interface MovingAgain {
  readonly topic: string;
  readonly partition: number;
  /** From the last progress before the stall to the first after it. */
  readonly stoodStillMs: number;
}
