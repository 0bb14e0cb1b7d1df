import type { AccumulatorSlots } from './aggregates';
import { DueSchedule } from './due-schedule';

export type GroupKey = string | number;

/** merged: a session absorbed into a neighbour; its schedule and throttle entries are stale. */
export type WindowLifecycle = 'open' | 'closed' | 'merged';

const START = 0;
const END = 1;
const DUE_AT = 2;
const SCHEDULED_AT = 3;
const LAST_UPDATE_AT = 4;
const SCHEDULE_SEQUENCE = 5;
const THROTTLE_SEQUENCE = 6;
/**
 * Slots at the head of every window's `numbers` array holding the window's own numbers;
 * the aggregates' slots follow (AccumulatorLayout binds them from here). As object fields
 * these doubles would each cost a separate heap box (V8 boxes double fields); in the
 * packed-double array they cost 8 bytes each.
 */
export const WINDOW_HEADER_SLOTS = 7;

const HEADER_TEMPLATE: number[] = [NaN];
for (let slot = 1; slot < WINDOW_HEADER_SLOTS; slot++) HEADER_TEMPLATE.push(NaN);

/** A header-only numbers array (session tombstones restored without accumulators). */
export function headerOnlyNumbers(): number[] {
  return HEADER_TEMPLATE.slice();
}

/**
 * A window. It doubles as its own StoredKeyWindow: takeChanges hands out the live windows
 * (no copies), `firstSlot` telling where the aggregates' slots start in `numbers`.
 */
export class WindowState<TKey extends GroupKey> implements AccumulatorSlots {
  lifecycle: WindowLifecycle = 'open';
  /** Update mode: changed since the last update but held back by the throttle. */
  updatePending = false;

  /**
   * @param numbers at least WINDOW_HEADER_SLOTS packed doubles; the header is written here
   */
  constructor(
    readonly key: TKey,
    start: number,
    end: number,
    dueAt: number,
    readonly numbers: number[],
    readonly values: unknown[],
  ) {
    numbers[START] = start;
    numbers[END] = end;
    numbers[DUE_AT] = dueAt;
    numbers[SCHEDULED_AT] = dueAt;
    numbers[LAST_UPDATE_AT] = -Infinity;
    numbers[SCHEDULE_SEQUENCE] = 0;
    numbers[THROTTLE_SEQUENCE] = 0;
  }

  get start(): number {
    return this.numbers[START];
  }

  set start(value: number) {
    this.numbers[START] = value;
  }

  get end(): number {
    return this.numbers[END];
  }

  set end(value: number) {
    this.numbers[END] = value;
  }

  /** Close time while open (end + grace), tombstone expiry once a session closed. */
  get dueAt(): number {
    return this.numbers[DUE_AT];
  }

  set dueAt(value: number) {
    this.numbers[DUE_AT] = value;
  }

  /** Time of the window's one schedule entry; behind dueAt while a session grows. */
  get scheduledAt(): number {
    return this.numbers[SCHEDULED_AT];
  }

  set scheduledAt(value: number) {
    this.numbers[SCHEDULED_AT] = value;
  }

  /** Update mode: partition stream time of the last emitted update. */
  get lastUpdateAt(): number {
    return this.numbers[LAST_UPDATE_AT];
  }

  set lastUpdateAt(value: number) {
    this.numbers[LAST_UPDATE_AT] = value;
  }

  /**
   * Insertion number of the schedule entry: windows due at the same time close in this
   * order. Travels with the key's state so a restore rebuilds the same schedule order.
   */
  get scheduleSequence(): number {
    return this.numbers[SCHEDULE_SEQUENCE];
  }

  set scheduleSequence(value: number) {
    this.numbers[SCHEDULE_SEQUENCE] = value;
  }

  /** Update mode: position in the throttle queue (its push number); 0 when not queued. */
  get throttleSequence(): number {
    return this.numbers[THROTTLE_SEQUENCE];
  }

  set throttleSequence(value: number) {
    this.numbers[THROTTLE_SEQUENCE] = value;
  }

  get inThrottleQueue(): boolean {
    return this.numbers[THROTTLE_SEQUENCE] > 0;
  }

  /** Index of the first aggregate slot in `numbers`. */
  get firstSlot(): number {
    return WINDOW_HEADER_SLOTS;
  }

  /** A copy of the aggregates' slots, without the header. */
  accumulatorNumbers(): number[] {
    return this.numbers.slice(WINDOW_HEADER_SLOTS);
  }
}

const NO_WINDOWS: never[] = [];

export class KeyWindows<TKey extends GroupKey> {
  /**
   * Open windows of the key; session windows keep them sorted by start. Grown by copying
   * (see addOpenWindow) so its capacity stays what the key needs: a push would reserve 17.
   * Starts as a shared empty array that is never written.
   */
  open: WindowState<TKey>[] = NO_WINDOWS;
  /** Sessions only: the latest closed session, so a late event cannot silently reopen it. */
  lastClosed: WindowState<TKey> | null = null;
  /** Time windows only: the window the key's last event went to, where the next one usually goes too. */
  lastUsed: WindowState<TKey> | null = null;
  /**
   * Changed since the partition's last takeChanges; it is then in PartitionState.changed.
   * Always true while the partition does not track changes (nothing to record then).
   */
  dirty = false;

  constructor(readonly key: TKey) {}

  get isEmpty(): boolean {
    return this.open.length === 0 && this.lastClosed === null;
  }

  /** Inserts at `index` into a copy of exactly the new length (windows are added per window, not per event). */
  addOpenWindow(window: WindowState<TKey>, index = this.open.length): void {
    const open = this.open.concat(window);
    for (let position = open.length - 1; position > index; position--) {
      open[position] = open[position - 1];
    }
    open[index] = window;
    this.open = open;
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
   * Keys whose state changed since the last takeChanges, each once (dirty flag). Released
   * keys stay listed: they report as tombstones.
   */
  changed: KeyWindows<TKey>[] = [];
  /**
   * Changes are tracked from the partition's first takeChanges (which reports every key)
   * or a restoreKeys on: an engine whose changes nobody takes keeps no list of them.
   */
  tracking = false;

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
    this.throttle.push(window);
  }

  get hasSeenEvents(): boolean {
    return this.maxEventTime !== -Infinity;
  }

  keyWindows(key: TKey): KeyWindows<TKey> {
    let keyWindows = this.keys.get(key);
    if (keyWindows === undefined) {
      keyWindows = new KeyWindows(key);
      keyWindows.dirty = !this.tracking;
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
