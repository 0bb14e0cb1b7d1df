import type { AggregateSpecs } from './aggregates';
import type { Duration } from './duration';
import type { StateIdentity } from './key-state-codec';
import type { GroupKey, WindowingCounters } from './partition-state';
import type { LateReason } from './window-assigner';
import type { WindowSpec } from './window-spec';

/** Input partition (a Kafka partition number). Windows and snapshots are kept per partition. */
export type PartitionId = number;

/**
 * A partition's watermark is the highest event time it has seen (its events and its
 * heartbeats) − maxOutOfOrderness; its windows close on that and on nothing else, so what
 * closes and what is late depends only on the partition's own sequence of records.
 */
export interface WatermarkOptions {
  /** How far behind the highest event time seen an event may arrive and still be in order. Default 0. */
  readonly maxOutOfOrderness?: Duration;
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
  /** Closing watermark of the event's partition when the event arrived. */
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
  /** Watermark the partition's windows have been closed against; never decreases. */
  readonly closingWatermark: number;
  readonly maxEventTime: number;
  readonly openWindows: number;
}

export interface WindowingStats {
  /** Since this engine instance was created; restore and revoke do not change them (safe for monotonic metrics). */
  readonly totals: WindowingCounters;
  /** Per assigned partition, in partition order; these counters travel with snapshots. */
  readonly partitions: readonly PartitionStats[];
}

/** A partition's clocks and counters: the part of its state that is not per key. */
export interface PartitionClock {
  readonly partition: PartitionId;
  readonly maxEventTime: number;
  readonly closingWatermark: number;
  /** Events seen so far; orders events with equal times (first/last). */
  readonly arrivals: number;
  readonly counters: WindowingCounters;
  /** Entries filed in the due schedule so far (sequence of the latest). */
  readonly scheduleSequence: number;
  /** Windows pushed onto the update throttle queue so far. */
  readonly throttleSequence: number;
}

/** One open window of a key, with what it takes to put it back in the same close order. */
export interface StoredKeyWindow {
  /** Inclusive. */
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  /** Watermark of the window's schedule entry (end + grace; lags while a session grows). */
  readonly scheduledAt: number;
  /** Insertion number of that entry: among entries due at the same time, the lower closes first. */
  readonly scheduleSequence: number;
  /** Holds the accumulator slots (AccumulatorLayout order) from index `firstSlot` on. */
  readonly numbers: readonly number[];
  /** 0 in decoded states; the engine's own windows keep other numbers in front. */
  readonly firstSlot: number;
  /** Non-numeric accumulator slots (first/last/countDistinct); a restore adopts this array. */
  readonly values: unknown[];
  /** Update mode: stream time of the last update emitted (−∞ before any). */
  readonly lastUpdateAt: number;
  /** Update mode: changed since its last update, held back by the throttle. */
  readonly updatePending: boolean;
  /** Update mode: position in the throttle queue (push number), 0 when not queued. */
  readonly throttleSequence: number;
}

/** Sessions: the key's latest closed session, kept so late events cannot reopen it. */
export interface StoredClosedSession {
  readonly start: number;
  readonly end: number;
  /** Insertion number of its expiry entry in the due schedule. */
  readonly scheduleSequence: number;
}

/**
 * Everything the engine holds for one group key of a partition. From takeChanges these are
 * read-only views of the engine's live windows: encode them (encodeKeyState) before the
 * engine is called again, and do not modify them.
 */
export interface KeyState<TKey extends GroupKey> {
  readonly key: TKey;
  /** Open windows, oldest start first for sessions, creation order for time windows. */
  readonly windows: readonly StoredKeyWindow[];
  readonly lastClosed: StoredClosedSession | null;
}

export interface KeyChange<TKey extends GroupKey> {
  readonly key: TKey;
  /** null: the key holds no state any more (delete it from the changelog). */
  readonly state: KeyState<TKey> | null;
}

/** What changed in a partition since the previous takeChanges. */
export interface PartitionChanges<TKey extends GroupKey> {
  /** Always the current clock: it changes with nearly every batch. */
  readonly clock: PartitionClock;
  /** Each changed key once (keys are independent: their order carries no meaning). */
  readonly keys: KeyChange<TKey>[];
}

export interface WindowingEngine<TEvent, TKey extends GroupKey, TValues> {
  /**
   * Feeds one batch of a partition. Events are handled one by one (watermark advance,
   * window closing, assignment), so outputs do not depend on how input is batched, nor on
   * other partitions or processing time. An empty batch changes nothing.
   * @throws InvalidEventTimeError before touching any state if an event time is not finite
   */
  process(
    partition: PartitionId,
    events: readonly TEvent[],
  ): ProcessOutput<TEvent, TKey, TValues>;
  /**
   * A watermark heartbeat: event time on the partition has reached `eventTime` (a source
   * that went quiet or ended says so). The partition's clock moves as if an event at that
   * time had arrived, so due windows close; no window receives anything. Only send what is
   * safe for this partition: its own progress, or a time no later event of it will be below.
   */
  advanceEventTime(partition: PartitionId, eventTime: number): ProcessOutput<TEvent, TKey, TValues>;
  /**
   * The keys whose state changed since the previous call for the partition (window opened,
   * updated, closed, merged, session tombstone set or expired, key released), each with its
   * whole current state or null once it holds none, plus the partition's clock. Costs
   * O(changed keys), not O(state). Store them with the offset of the next event to read:
   * a changelog (key → latest state, deleted on null) then always mirrors the engine.
   * A partition without state yields the clock it would start from and no keys. Tracking
   * starts with a partition's first call (which reports every key it holds) or restoreKeys,
   * so an engine whose changes are never taken pays nothing for it.
   */
  takeChanges(partition: PartitionId): PartitionChanges<TKey>;
  /**
   * Loads a partition from a changelog on assignment: its clock (undefined: the clock of a
   * fresh partition) and the latest state of each key, in any order, consumed as they come.
   * Windows then close in the same order as in the engine that wrote the changes. The
   * partition must not hold state (revoke first). The engine adopts the states' `values` arrays.
   * @throws SnapshotMismatchError when the clock is another partition's or a state does not fit the layout
   */
  restoreKeys(
    partition: PartitionId,
    clock: PartitionClock | undefined,
    keys: Iterable<KeyState<TKey>>,
  ): void;
  /** The state layout, for encodeKeyState/decodeKeyState and the clock codec. */
  stateIdentity(): StateIdentity;
  /**
   * The whole partition as one versioned JSON document; store with the offset of the next
   * event to read. Costs O(state): prefer takeChanges for regular checkpoints.
   */
  snapshot(partition: PartitionId): Uint8Array;
  /**
   * Loads a partition's state from snapshot(); the partition must not hold state (revoke
   * first). The next takeChanges reports every key (a changelog can start from here).
   */
  restore(partition: PartitionId, snapshot: Uint8Array): void;
  /** Drops a partition's state on revocation. */
  revoke(partition: PartitionId): void;
  /** The partition's watermark (−∞ before anything arrived). */
  watermark(partition: PartitionId): number;
  stats(): WindowingStats;
}
