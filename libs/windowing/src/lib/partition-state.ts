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
  /** Time of the window's one schedule entry; behind dueAt while a session grows. */
  scheduledAt: number;

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

  constructor(readonly partition: number) {}

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

  /** Keys come and go with their windows so memory follows the active key set. */
  releaseIfEmpty(keyWindows: KeyWindows<TKey>): void {
    if (keyWindows.isEmpty) {
      this.keys.delete(keyWindows.key);
    }
  }
}
