import type { AccumulatorLayout } from './accumulator-layout';
import { SnapshotMismatchError } from './errors';
import type {
  GroupKey,
  KeyWindows,
  PartitionState,
  WindowState,
} from './partition-state';
import { WindowAssigner, type WindowListener } from './window-assigner';
import type { TimeWindows } from './window-spec';

/** Tumbling and hopping windows: every event belongs to size/advance epoch-aligned windows. */
export class TimeWindowAssigner<
  TEvent,
  TKey extends GroupKey,
> extends WindowAssigner<TEvent, TKey> {
  protected readonly sizeMs: number;
  protected readonly advanceMs: number;
  protected readonly offsetMs: number;

  constructor(
    spec: TimeWindows,
    keyOf: (event: TEvent) => TKey,
    layout: AccumulatorLayout<TEvent, unknown>,
    listener: WindowListener<TEvent, TKey>,
  ) {
    super(keyOf, layout, listener, spec.graceMs);
    this.sizeMs = spec.sizeMs;
    this.advanceMs = spec.advanceMs;
    this.offsetMs = spec.offsetMs;
  }

  assign(
    state: PartitionState<TKey>,
    event: TEvent,
    eventTime: number,
    arrival: number,
  ): void {
    const { sizeMs, advanceMs, graceMs } = this;
    const latestStart =
      Math.floor((eventTime - this.offsetMs) / advanceMs) * advanceMs +
      this.offsetMs;
    let start = latestStart;
    while (start - advanceMs > eventTime - sizeMs) {
      start -= advanceMs;
    }
    const key = this.keyOf(event);
    let keyWindows: KeyWindows<TKey> | undefined;
    // Oldest window first, so output and late records come in a stable order.
    for (; start <= latestStart; start += advanceMs) {
      const end = start + sizeMs;
      if (end + graceMs <= state.closingWatermark) {
        this.listener.onLate(state, event, start, end, 'window-closed');
        continue;
      }
      keyWindows ??= state.keyWindows(key);
      const window =
        this.findOpen(keyWindows, start) ??
        this.openWindow(state, keyWindows, start, end);
      keyWindows.lastUsed = window;
      this.layout.add(window, event, eventTime, arrival);
      if (this.listener.wantsUpdates) this.listener.onUpdated(state, window);
    }
    if (keyWindows !== undefined) state.touch(keyWindows);
  }

  protected afterClose(
    state: PartitionState<TKey>,
    keyWindows: KeyWindows<TKey>,
  ): void {
    state.releaseIfEmpty(keyWindows);
  }

  /** Time windows are never scheduled after closing. */
  protected onClosedWindowDue(): void {
    return;
  }

  override restoreClosedSession(
    state: PartitionState<TKey>,
    keyWindows: KeyWindows<TKey>,
  ): void {
    throw new SnapshotMismatchError(
      'state holds closed sessions but the pipeline uses time windows',
      {
        partition: state.partition,
        key: keyWindows.key,
      },
    );
  }

  protected insertOpen(
    keyWindows: KeyWindows<TKey>,
    window: WindowState<TKey>,
  ): void {
    keyWindows.addOpenWindow(window);
  }

  /**
   * Most events of a key land in the window its previous event used; otherwise scan the
   * key's few open windows ((size + grace + disorder) / advance at most), newest first.
   */
  protected findOpen(
    keyWindows: KeyWindows<TKey>,
    start: number,
  ): WindowState<TKey> | undefined {
    const lastUsed = keyWindows.lastUsed;
    if (
      lastUsed !== null &&
      lastUsed.start === start &&
      lastUsed.lifecycle === 'open'
    )
      return lastUsed;
    const open = keyWindows.open;
    for (let index = open.length - 1; index >= 0; index--) {
      if (open[index].start === start) return open[index];
    }
    return undefined;
  }
}
