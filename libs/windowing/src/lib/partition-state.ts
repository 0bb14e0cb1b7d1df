import type { AccumulatorSlots } from './aggregates';
import { DueSchedule } from './due-schedule';

export type GroupKey = string | number;

/** merged: a session absorbed into a neighbour; its schedule and throttle entries are stale. */
export type WindowLifecycle = 'open' | 'closed' | 'merged';

export class WindowState<TKey extends GroupKey> implements AccumulatorSlots {
  lifecycle: WindowLifecycle = 'open';
  /** Update mode: partition stream time of the last emitted update. */
  lastUpdateAt = -Infinity;
  /** Update mode: changed since the last update but held back by the throttle. */
  updatePending = false;
  inThrottleQueue = false;
  /** Update mode: position in the throttle queue (its push number), valid while inThrottleQueue. */
  throttleSequence = 0;
  /** Time of the window's one schedule entry; behind dueAt while a session grows. */
  scheduledAt: number;
  /**
   * Insertion number of that entry: windows due at the same time close in this order.
   * Travels with the key's state so a restore rebuilds the same schedule order.
   */
  scheduleSequence = 0;

  constructor(
    readonly key: TKey,
    public start: number,
    public end: number,
    /** Close time while open (end + grace), tombstone expiry once a session closed. */
    public dueAt: number,
    readonly numbers: number[],
    readonly values: unknown[],
  ) {
    this.scheduledAt = dueAt;
  }
}

export class KeyWindows<TKey extends GroupKey> {
  /** Open windows of the key; session windows keep them sorted by start. */
  readonly open: WindowState<TKey>[] = [];
  /** Sessions only: the latest closed session, so a late event cannot silently reopen it. */
  lastClosed: WindowState<TKey> | null = null;
  /** Time windows only: the window the key's last event went to, where the next one usually goes too. */
  lastUsed: WindowState<TKey> | null = null;
  /** Changed since the partition's last takeChanges; it is then in PartitionState.changed. */
  dirty = false;

  constructor(readonly key: TKey) {}

  get isEmpty(): boolean {
    return this.open.length === 0 && this.lastClosed === null;
  }
}

export interface WindowingCounters {
  readonly eventsProcessed: number;
  /** Events that were too late for at least one of their windows. */
  readonly lateEvents: number;
  /** Final and update results. */
  readonly resultsEmitted: number;
}

export type MutableCounters = {
  -readonly [Name in keyof WindowingCounters]: WindowingCounters[Name];
};

export function emptyCounters(): MutableCounters {
  return { eventsProcessed: 0, lateEvents: 0, resultsEmitted: 0 };
}

/** First-in first-out queue of windows waiting for their update throttle to open. */
export class ThrottleQueue<TItem> {
  private items: TItem[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  peek(): TItem | undefined {
    return this.items[this.head];
  }

  push(item: TItem): void {
    this.items.push(item);
  }

  shift(): TItem | undefined {
    const item = this.items[this.head];
    this.head += 1;
    // Drop the consumed prefix once it dominates, keeping shift O(1) amortised.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  toArray(): TItem[] {
    return this.items.slice(this.head);
  }
}

/** Everything the engine keeps for one input partition; snapshots serialise exactly this. */
export class PartitionState<TKey extends GroupKey> {
  maxEventTime = -Infinity;
  /** maxEventTime − maxOutOfOrderness: this partition's own watermark. */
  eventTimeWatermark = -Infinity;
  /** Watermark the partition's windows have been closed against; never decreases. */
  closingWatermark = -Infinity;
  /** Processing time of the last batch that carried events. */
  lastActivityMs = -Infinity;
  /** As of the last idleness evaluation. */
  idle = true;
  /** Arrival counter, used to break event-time ties deterministically. */
  arrivals = 0;
  openWindows = 0;
  readonly counters: MutableCounters = emptyCounters();
  readonly keys = new Map<TKey, KeyWindows<TKey>>();
  readonly schedule = new DueSchedule<WindowState<TKey>>();
  readonly throttle = new ThrottleQueue<WindowState<TKey>>();
  /** Windows pushed onto the throttle queue so far (numbers their positions). */
  throttleSequence = 0;
  /**
   * Keys whose state changed since the last takeChanges, each once (dirty flag), in the
   * order they first changed. Released keys stay listed: they report as tombstones.
   */
  changed: KeyWindows<TKey>[] = [];

  constructor(readonly partition: number) {}

  /** Records that the key's state changed; O(1), called on every change. */
  touch(keyWindows: KeyWindows<TKey>): void {
    if (!keyWindows.dirty) {
      keyWindows.dirty = true;
      this.changed.push(keyWindows);
    }
  }

  /** Appends the window to the update throttle queue. */
  enqueueThrottle(window: WindowState<TKey>): void {
    this.throttleSequence += 1;
    window.throttleSequence = this.throttleSequence;
    window.inThrottleQueue = true;
    this.throttle.push(window);
  }

  get hasSeenEvents(): boolean {
    return this.maxEventTime !== -Infinity;
  }

  keyWindows(key: TKey): KeyWindows<TKey> {
    let keyWindows = this.keys.get(key);
    if (keyWindows === undefined) {
      keyWindows = new KeyWindows(key);
      this.keys.set(key, keyWindows);
    }
    return keyWindows;
  }

  /**
   * Keys come and go with their windows so memory follows the active key set. The caller
   * has touched the key, so its release is reported by the next takeChanges.
   */
  releaseIfEmpty(keyWindows: KeyWindows<TKey>): void {
    if (keyWindows.isEmpty) {
      this.keys.delete(keyWindows.key);
    }
  }
}
