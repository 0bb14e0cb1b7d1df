import type { AggregateSpecs } from './aggregates';
import type { Duration } from './duration';
import type { GroupKey, WindowingCounters } from './partition-state';
import type { LateReason } from './window-assigner';
import type { WindowSpec } from './window-spec';

/** Input partition (a Kafka partition number). Windows and snapshots are kept per partition. */
export type PartitionId = number;

export interface WatermarkOptions {
  /** How far behind the highest event time seen an event may arrive and still be in order. Default 0. */
  readonly maxOutOfOrderness?: Duration;
  /**
   * Processing time without events after which a partition stops holding the combined
   * watermark back. Default: partitions never count as idle.
   */
  readonly idleTimeout?: Duration;
  /**
   * 'combined' (default): windows close on the minimum watermark over active partitions.
   * 'partition': each partition's windows close on its own watermark, so a partition's
   * output depends on its own input only (Kafka Streams' stream time per task).
   */
  readonly closeWindowsOn?: 'combined' | 'partition';
}

/**
 * 'final': one result per window when it closes (Kafka Streams suppress-until-close, Spark append).
 * update: the window's current value after events change it, at most once per window and key
 * per `throttle` of event time, then the final result when it closes.
 */
export type EmitMode =
  'final' | { readonly mode: 'update'; readonly throttle: Duration };

export interface WindowingConfig<
  TEvent,
  TKey extends GroupKey,
  TAggregates extends AggregateSpecs<TEvent>,
> {
  /** Event time in epoch milliseconds. */
  readonly eventTime: (event: TEvent) => number;
  /** Group key; all of a key's events must come from the same partition. */
  readonly key: (event: TEvent) => TKey;
  readonly window: WindowSpec;
  readonly aggregates: TAggregates;
  readonly watermark?: WatermarkOptions;
  readonly emit?: EmitMode;
}

export interface WindowResult<TKey, TValues> {
  readonly key: TKey;
  /** Inclusive. */
  readonly windowStart: number;
  /** Exclusive. */
  readonly windowEnd: number;
  readonly partition: PartitionId;
  /** true: the window closed and this is its last result; false: an update-mode intermediate value. */
  readonly final: boolean;
  readonly values: TValues;
}

/** An event that arrived after its window closed; meant for a late-events topic. */
export interface LateRecord<TEvent> {
  readonly event: TEvent;
  readonly partition: PartitionId;
  /** The closed window the event belonged to (for sessions: the event's own `[t, t + gap)`). */
  readonly windowStart: number;
  readonly windowEnd: number;
  /** Closing watermark of the partition when the event arrived. */
  readonly watermark: number;
  readonly reason: LateReason;
}

export interface ProcessOutput<TEvent, TKey, TValues> {
  /** Results of any partition whose windows closed or changed during this call, in emission order. */
  readonly results: WindowResult<TKey, TValues>[];
  readonly late: LateRecord<TEvent>[];
}

export interface PartitionStats extends WindowingCounters {
  readonly partition: PartitionId;
  /** Highest event time seen − maxOutOfOrderness (−∞ before the first event). */
  readonly watermark: number;
  /** Watermark the partition's windows have been closed against (≥ its share of the combined watermark). */
  readonly closingWatermark: number;
  readonly maxEventTime: number;
  /** Idle as of the last process() call: holds the combined watermark back no more. */
  readonly idle: boolean;
  readonly openWindows: number;
}

export interface WindowingStats {
  readonly combinedWatermark: number;
  /** Since this engine instance was created; restore and revoke do not change them (safe for monotonic metrics). */
  readonly totals: WindowingCounters;
  /** Per assigned partition, in partition order; these counters travel with snapshots. */
  readonly partitions: readonly PartitionStats[];
}

export interface WindowingEngine<TEvent, TKey extends GroupKey, TValues> {
  /**
   * Feeds one batch of a partition. Events are handled one by one (watermark advance,
   * window closing, assignment), so outputs do not depend on how input is batched.
   * An empty batch still re-evaluates idleness and may close windows.
   * @param nowMs caller's processing time, used only for idleness
   * @throws InvalidEventTimeError before touching any state if an event time is not finite
   */
  process(
    partition: PartitionId,
    events: readonly TEvent[],
    nowMs: number,
  ): ProcessOutput<TEvent, TKey, TValues>;
  /**
   * A watermark heartbeat: event time on the partition has reached `eventTime` (a source
   * that went quiet or ended says so). The partition's clock moves as if an event at that
   * time had arrived, so due windows close; no window receives anything.
   */
  advanceEventTime(partition: PartitionId, eventTime: number, nowMs: number): ProcessOutput<TEvent, TKey, TValues>;
  /** Open windows and clocks of the partition; store with the offset of the next event to read. */
  snapshot(partition: PartitionId): Uint8Array;
  /** Loads a partition's state on assignment; the partition must not hold state (revoke first). */
  restore(partition: PartitionId, snapshot: Uint8Array): void;
  /** Drops a partition's state on revocation. */
  revoke(partition: PartitionId): void;
  /** The combined watermark, or the partition's own watermark when a partition is given. */
  watermark(partition?: PartitionId): number;
  stats(): WindowingStats;
}
