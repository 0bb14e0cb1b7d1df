import type { AccumulatorLayout } from './accumulator-layout';
import {
  type GroupKey,
  type KeyWindows,
  type PartitionState,
  WindowState,
} from './partition-state';
import type { StoredKeyWindow } from './types';

/** Why an event was not aggregated. Only one today; a union so consumers switch on it. */
export type LateReason = 'window-closed';

/** How an assigner reports what happened; implemented by the engine, which builds the output. */
export interface WindowListener<TEvent, TKey extends GroupKey> {
  /** false in final mode: assigners then skip onUpdated on the per-event path. */
  readonly wantsUpdates: boolean;
  onLate(
    state: PartitionState<TKey>,
    event: TEvent,
    windowStart: number,
    windowEnd: number,
    reason: LateReason,
  ): void;
  /** An accepted event changed the window's aggregates. */
  onUpdated(state: PartitionState<TKey>, window: WindowState<TKey>): void;
  onClosed(state: PartitionState<TKey>, window: WindowState<TKey>): void;
}

/** Window bounds decoded from a snapshot, with their accumulator contents. */
export interface StoredWindow<TKey extends GroupKey> {
  readonly key: TKey;
  readonly start: number;
  readonly end: number;
  /** Time of its schedule entry, which lags the close time while a session grows. */
  readonly scheduledAt: number;
  readonly numbers: number[];
  readonly values: unknown[];
}

/**
 * Puts events into windows of one kind and decides what happens when a window falls due.
 * The engine owns time; assigners only read `state.closingWatermark`.
 *
 * Every open window has exactly one schedule entry. A session that grows is not moved
 * in the schedule; when its old entry comes up it is re-filed at its current due time.
 * That keeps growing sessions from leaving one stale entry per event behind.
 */
export abstract class WindowAssigner<TEvent, TKey extends GroupKey> {
  constructor(
    protected readonly keyOf: (event: TEvent) => TKey,
    protected readonly layout: AccumulatorLayout<TEvent, unknown>,
    protected readonly listener: WindowListener<TEvent, TKey>,
    protected readonly graceMs: number,
  ) {}

  abstract assign(
    state: PartitionState<TKey>,
    event: TEvent,
    eventTime: number,
    arrival: number,
  ): void;

  /**
   * Re-creates a session tombstone decoded from a snapshot (scheduled now) or from a key
   * state (`scheduleSequence` given: filed unordered, the caller heapifies the schedule).
   */
  abstract restoreClosedSession(
    state: PartitionState<TKey>,
    keyWindows: KeyWindows<TKey>,
    start: number,
    end: number,
    scheduleSequence?: number,
  ): void;

  /** Adds a window to the key's open windows, keeping whatever order the assigner relies on. */
  protected abstract insertOpen(
    keyWindows: KeyWindows<TKey>,
    window: WindowState<TKey>,
  ): void;

  /** The window's final result is out; keep or release what the key still needs. */
  protected abstract afterClose(
    state: PartitionState<TKey>,
    keyWindows: KeyWindows<TKey>,
    window: WindowState<TKey>,
  ): void;

  /** A closed window's own schedule entry came up (session tombstones expire this way). */
  protected abstract onClosedWindowDue(
    state: PartitionState<TKey>,
    keyWindows: KeyWindows<TKey>,
    window: WindowState<TKey>,
  ): void;

  /** Called for each schedule entry once the closing watermark reaches its time. */
  onDue(state: PartitionState<TKey>, window: WindowState<TKey>): void {
    const keyWindows = state.keys.get(window.key);
    if (keyWindows === undefined || window.lifecycle === 'merged') return;
    if (window.lifecycle === 'closed') {
      this.onClosedWindowDue(state, keyWindows, window);
    } else if (window.dueAt > window.scheduledAt) {
      this.schedule(state, window);
      state.touch(keyWindows);
    } else {
      window.lifecycle = 'closed';
      state.openWindows -= 1;
      state.touch(keyWindows);
      this.listener.onClosed(state, window);
      removeItem(keyWindows.open, window);
      this.afterClose(state, keyWindows, window);
    }
  }

  /** Keeps the stored schedule position so the restored schedule replays the same order. */
  restoreOpenWindow(
    state: PartitionState<TKey>,
    stored: StoredWindow<TKey>,
  ): WindowState<TKey> {
    const window = new WindowState(
      stored.key,
      stored.start,
      stored.end,
      stored.end + this.graceMs,
      this.layout.restoreNumbers(stored.numbers),
      stored.values,
    );
    const scheduledAt = Math.min(stored.scheduledAt, window.dueAt);
    this.track(state, state.keyWindows(stored.key), window, scheduledAt);
    return window;
  }

  /**
   * Re-creates an open window of a key state with its original schedule position; the
   * schedule entry is filed unordered (the caller heapifies once every key is in).
   */
  restoreKeyWindow(
    state: PartitionState<TKey>,
    keyWindows: KeyWindows<TKey>,
    stored: StoredKeyWindow,
  ): WindowState<TKey> {
    const window = new WindowState(
      keyWindows.key,
      stored.start,
      stored.end,
      stored.end + this.graceMs,
      this.layout.restoreNumbers(stored.numbers, stored.firstSlot),
      stored.values,
    );
    // A grace shortened since the state was written must not hold the window open longer.
    window.scheduledAt = Math.min(stored.scheduledAt, window.dueAt);
    window.scheduleSequence = stored.scheduleSequence;
    window.lastUpdateAt = stored.lastUpdateAt;
    window.updatePending = stored.updatePending;
    this.insertOpen(keyWindows, window);
    state.openWindows += 1;
    state.schedule.addUnordered(
      window.scheduledAt,
      window.scheduleSequence,
      window,
    );
    return window;
  }

  protected openWindow(
    state: PartitionState<TKey>,
    keyWindows: KeyWindows<TKey>,
    start: number,
    end: number,
  ): WindowState<TKey> {
    const window = new WindowState(
      keyWindows.key,
      start,
      end,
      end + this.graceMs,
      this.layout.createNumbers(),
      this.layout.createValues(),
    );
    this.track(state, keyWindows, window, window.dueAt);
    return window;
  }

  protected schedule(
    state: PartitionState<TKey>,
    window: WindowState<TKey>,
    at = window.dueAt,
  ): void {
    window.scheduledAt = at;
    window.scheduleSequence = state.schedule.add(at, window);
  }

  private track(
    state: PartitionState<TKey>,
    keyWindows: KeyWindows<TKey>,
    window: WindowState<TKey>,
    scheduledAt: number,
  ): void {
    this.insertOpen(keyWindows, window);
    state.openWindows += 1;
    this.schedule(state, window, scheduledAt);
  }
}

/** Order-preserving removal without splice's result array. */
export function removeItem<TItem>(items: TItem[], item: TItem): void {
  const index = items.indexOf(item);
  if (index < 0) return;
  for (let position = index; position < items.length - 1; position++) {
    items[position] = items[position + 1];
  }
  items.pop();
}
