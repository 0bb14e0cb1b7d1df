import type { AccumulatorLayout } from './accumulator-layout';
import { type GroupKey, type KeyWindows, type PartitionState, WindowState } from './partition-state';

/** Why an event was not aggregated. Only one today; a union so consumers switch on it. */
export type LateReason = 'window-closed';

/** How an assigner reports what happened; implemented by the engine, which builds the output. */
export interface WindowListener<TEvent, TKey extends GroupKey> {
  onLate(state: PartitionState<TKey>, event: TEvent, windowStart: number, windowEnd: number, reason: LateReason): void;
  /** An accepted event changed the window's aggregates. */
  onUpdated(state: PartitionState<TKey>, window: WindowState<TKey>): void;
  onClosed(state: PartitionState<TKey>, window: WindowState<TKey>): void;
}

/** Window bounds decoded from a snapshot, with their accumulator contents. */
export interface StoredWindow<TKey extends GroupKey> {
  readonly key: TKey;
  readonly start: number;
  readonly end: number;
  readonly numbers: number[];
  readonly values: unknown[];
}

/**
 * Puts events into windows of one kind and decides what happens when a scheduled window
 * falls due. The engine owns time; assigners only read `state.closingWatermark`.
 */
export abstract class WindowAssigner<TEvent, TKey extends GroupKey> {
  constructor(
    protected readonly keyOf: (event: TEvent) => TKey,
    protected readonly layout: AccumulatorLayout<TEvent, unknown>,
    protected readonly listener: WindowListener<TEvent, TKey>,
    protected readonly graceMs: number,
  ) {}

  abstract assign(state: PartitionState<TKey>, event: TEvent, eventTime: number, arrival: number): void;

  /** Called for every schedule entry at `dueAt` once the closing watermark reaches it. */
  abstract onDue(state: PartitionState<TKey>, window: WindowState<TKey>, dueAt: number): void;

  /** Re-creates a session tombstone decoded from a snapshot. */
  abstract restoreClosedSession(state: PartitionState<TKey>, key: TKey, start: number, end: number): void;

  /** Adds a window to the key's open windows, keeping whatever order the assigner relies on. */
  protected abstract insertOpen(keyWindows: KeyWindows<TKey>, window: WindowState<TKey>): void;

  restoreOpenWindow(state: PartitionState<TKey>, stored: StoredWindow<TKey>): WindowState<TKey> {
    const window = new WindowState(
      stored.key,
      stored.start,
      stored.end,
      stored.end + this.graceMs,
      stored.numbers,
      stored.values,
    );
    this.track(state, state.keyWindows(stored.key), window);
    return window;
  }

  protected openWindow(state: PartitionState<TKey>, keyWindows: KeyWindows<TKey>, start: number, end: number): WindowState<TKey> {
    const window = new WindowState(
      keyWindows.key,
      start,
      end,
      end + this.graceMs,
      this.layout.createNumbers(),
      this.layout.createValues(),
    );
    this.track(state, keyWindows, window);
    return window;
  }

  /** Emits the final result and forgets the window; the caller decides whether the key goes too. */
  protected closeWindow(state: PartitionState<TKey>, keyWindows: KeyWindows<TKey>, window: WindowState<TKey>): void {
    window.lifecycle = 'closed';
    state.openWindows -= 1;
    this.listener.onClosed(state, window);
    const open = keyWindows.open;
    open.splice(open.indexOf(window), 1);
  }

  /** Moves a window whose end grew to its new close time; the old schedule entry turns stale. */
  protected reschedule(state: PartitionState<TKey>, window: WindowState<TKey>, dueAt: number): void {
    if (window.dueAt !== dueAt) {
      window.dueAt = dueAt;
      state.schedule.add(dueAt, window);
    }
  }

  private track(state: PartitionState<TKey>, keyWindows: KeyWindows<TKey>, window: WindowState<TKey>): void {
    this.insertOpen(keyWindows, window);
    state.openWindows += 1;
    state.schedule.add(window.dueAt, window);
  }
}
