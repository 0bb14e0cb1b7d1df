import type { AccumulatorLayout } from './accumulator-layout';
import {
  type GroupKey,
  headerOnlyNumbers,
  type KeyWindows,
  type PartitionState,
  WindowState,
} from './partition-state';
import { WindowAssigner, type WindowListener } from './window-assigner';
import type { SessionWindows } from './window-spec';

const NO_SESSIONS: readonly WindowState<GroupKey>[] = [];
/** Value slots of restored tombstones: never aggregated into, so one shared empty array. */
const NO_VALUES: never[] = [];

/**
 * Session windows `[first event, last event + gap)` per key. An event opens its own
 * session `[t, t + gap)` and merges with every open session it overlaps; an event that
 * bridges two sessions merges them. Events exactly `gap` apart start separate sessions.
 *
 * An event is late when its own session is past close time (`t + gap + grace <= watermark`),
 * as for time windows, or when it would reach a session that already closed. The first rule
 * bounds how far back an open session can grow; otherwise a chain of old events could drag
 * it back indefinitely. For the second rule the latest closed session of each key is kept
 * as a tombstone until the first rule alone covers it.
 */
export class SessionWindowAssigner<
  TEvent,
  TKey extends GroupKey,
> extends WindowAssigner<TEvent, TKey> {
  private readonly gapMs: number;

  constructor(
    spec: SessionWindows,
    keyOf: (event: TEvent) => TKey,
    layout: AccumulatorLayout<TEvent, unknown>,
    listener: WindowListener<TEvent, TKey>,
  ) {
    super(keyOf, layout, listener, spec.graceMs);
    this.gapMs = spec.gapMs;
  }

  assign(
    state: PartitionState<TKey>,
    event: TEvent,
    eventTime: number,
    arrival: number,
  ): void {
    const sessionEnd = eventTime + this.gapMs;
    const key = this.keyOf(event);
    const keyWindows = state.keys.get(key);
    if (
      sessionEnd + this.graceMs <= state.closingWatermark ||
      this.reachesClosedSession(keyWindows, eventTime, sessionEnd)
    ) {
      this.listener.onLate(
        state,
        event,
        eventTime,
        sessionEnd,
        'window-closed',
      );
      return;
    }
    const open = keyWindows?.open ?? NO_SESSIONS;
    let firstOverlap = -1;
    let lastOverlap = -1;
    for (
      let index = 0;
      index < open.length && open[index].start < sessionEnd;
      index++
    ) {
      if (eventTime < open[index].end) {
        if (firstOverlap < 0) firstOverlap = index;
        lastOverlap = index;
      }
    }
    const owner = keyWindows ?? state.keyWindows(key);
    const session =
      firstOverlap >= 0
        ? this.mergeOverlapping(
            state,
            owner,
            firstOverlap,
            lastOverlap,
            eventTime,
            sessionEnd,
          )
        : this.openWindow(state, owner, eventTime, sessionEnd);
    this.layout.add(session, event, eventTime, arrival);
    state.touch(owner);
    if (this.listener.wantsUpdates) this.listener.onUpdated(state, session);
  }

  protected afterClose(
    state: PartitionState<TKey>,
    keyWindows: KeyWindows<TKey>,
    session: WindowState<TKey>,
  ): void {
    this.keepAsTombstone(state, keyWindows, session);
  }

  protected onClosedWindowDue(
    state: PartitionState<TKey>,
    keyWindows: KeyWindows<TKey>,
    tombstone: WindowState<TKey>,
  ): void {
    // A tombstone replaced by a later closed session has nothing left to expire.
    if (keyWindows.lastClosed !== tombstone) return;
    keyWindows.lastClosed = null;
    state.touch(keyWindows);
    state.releaseIfEmpty(keyWindows);
  }

  override restoreClosedSession(
    state: PartitionState<TKey>,
    keyWindows: KeyWindows<TKey>,
    start: number,
    end: number,
    scheduleSequence?: number,
  ): void {
    const tombstone = new WindowState(
      keyWindows.key,
      start,
      end,
      end + this.graceMs,
      headerOnlyNumbers(),
      NO_VALUES,
    );
    tombstone.lifecycle = 'closed';
    if (scheduleSequence === undefined) {
      this.keepAsTombstone(state, keyWindows, tombstone);
      return;
    }
    keyWindows.lastClosed = tombstone;
    tombstone.dueAt = this.tombstoneExpiry(end);
    tombstone.scheduledAt = tombstone.dueAt;
    tombstone.scheduleSequence = scheduleSequence;
    state.schedule.addUnordered(tombstone.dueAt, scheduleSequence, tombstone);
  }

  /** Sessions stay sorted by start: out-of-order and restored sessions land in the middle. */
  protected insertOpen(
    keyWindows: KeyWindows<TKey>,
    window: WindowState<TKey>,
  ): void {
    const open = keyWindows.open;
    let index = open.length;
    while (index > 0 && open[index - 1].start > window.start) index--;
    keyWindows.addOpenWindow(window, index);
  }

  private mergeOverlapping(
    state: PartitionState<TKey>,
    keyWindows: KeyWindows<TKey>,
    firstOverlap: number,
    lastOverlap: number,
    eventTime: number,
    sessionEnd: number,
  ): WindowState<TKey> {
    const open = keyWindows.open;
    const survivor = open[firstOverlap];
    for (let index = firstOverlap + 1; index <= lastOverlap; index++) {
      const absorbed = open[index];
      this.layout.merge(survivor, absorbed);
      survivor.end = Math.max(survivor.end, absorbed.end);
      absorbed.lifecycle = 'merged';
      state.openWindows -= 1;
    }
    if (lastOverlap > firstOverlap) {
      open.splice(firstOverlap + 1, lastOverlap - firstOverlap);
    }
    survivor.start = Math.min(survivor.start, eventTime);
    survivor.end = Math.max(survivor.end, sessionEnd);
    // Its schedule entry stays put and re-files itself when it comes up (see WindowAssigner).
    survivor.dueAt = survivor.end + this.graceMs;
    return survivor;
  }

  private reachesClosedSession(
    keyWindows: KeyWindows<TKey> | undefined,
    eventTime: number,
    sessionEnd: number,
  ): boolean {
    const closed = keyWindows?.lastClosed;
    return (
      closed != null && eventTime < closed.end && closed.start < sessionEnd
    );
  }

  /**
   * Only the latest closed session matters: an event reaching an older one is past its
   * own close time. Once the watermark passes end + gap + grace, so is any event reaching
   * this one, and the tombstone can go.
   */
  private keepAsTombstone(
    state: PartitionState<TKey>,
    keyWindows: KeyWindows<TKey>,
    session: WindowState<TKey>,
  ): void {
    keyWindows.lastClosed = session;
    session.dueAt = this.tombstoneExpiry(session.end);
    this.schedule(state, session);
  }

  private tombstoneExpiry(end: number): number {
    return end + this.gapMs + this.graceMs;
  }
}
