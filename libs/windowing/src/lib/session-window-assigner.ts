import type { AccumulatorLayout } from './accumulator-layout';
import { type GroupKey, type KeyWindows, type PartitionState, WindowState } from './partition-state';
import { WindowAssigner, type WindowListener } from './window-assigner';
import type { SessionWindows } from './window-spec';

/**
 * Session windows `[first event, last event + gap)` per key. An event opens its own
 * session `[t, t + gap)` and merges with every open session it overlaps; an event that
 * bridges two sessions merges them. Events exactly `gap` apart start separate sessions.
 *
 * A closed session is kept as a tombstone until no on-time event can reach it any more:
 * without it, an event falling inside the gap after a closed session would start a new
 * session instead of being reported late, and the result would depend on timing.
 */
export class SessionWindowAssigner<TEvent, TKey extends GroupKey> extends WindowAssigner<TEvent, TKey> {
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

  assign(state: PartitionState<TKey>, event: TEvent, eventTime: number, arrival: number): void {
    const sessionEnd = eventTime + this.gapMs;
    const key = this.keyOf(event);
    const keyWindows = state.keys.get(key);
    const open = keyWindows?.open ?? [];
    let firstOverlap = -1;
    let lastOverlap = -1;
    for (let index = 0; index < open.length && open[index].start < sessionEnd; index++) {
      if (eventTime < open[index].end) {
        if (firstOverlap < 0) firstOverlap = index;
        lastOverlap = index;
      }
    }
    const joinsOpenSession = keyWindows !== undefined && firstOverlap >= 0;
    // Joining an open session only ever grows it, so that cannot be late by itself.
    if (this.reachesClosedSession(keyWindows, eventTime, sessionEnd) || (!joinsOpenSession && sessionEnd + this.graceMs <= state.closingWatermark)) {
      this.listener.onLate(state, event, eventTime, sessionEnd, 'window-closed');
      return;
    }
    const session = joinsOpenSession
      ? this.mergeOverlapping(state, keyWindows, firstOverlap, lastOverlap, eventTime, sessionEnd)
      : this.openWindow(state, keyWindows ?? state.keyWindows(key), eventTime, sessionEnd);
    this.layout.add(session, event, eventTime, arrival);
    this.listener.onUpdated(state, session);
  }

  onDue(state: PartitionState<TKey>, window: WindowState<TKey>, dueAt: number): void {
    const keyWindows = state.keys.get(window.key);
    // Entries left behind by a session that grew, merged away or was replaced as tombstone.
    if (keyWindows === undefined || window.dueAt !== dueAt) return;
    if (window.lifecycle === 'open') {
      this.closeWindow(state, keyWindows, window);
      this.keepAsTombstone(state, keyWindows, window);
    } else if (window.lifecycle === 'closed' && keyWindows.lastClosed === window && !this.canStillBeReached(keyWindows, window)) {
      keyWindows.lastClosed = null;
      state.releaseIfEmpty(keyWindows);
    }
  }

  override restoreClosedSession(state: PartitionState<TKey>, key: TKey, start: number, end: number): void {
    const tombstone = new WindowState(key, start, end, end + this.graceMs, [], []);
    tombstone.lifecycle = 'closed';
    this.keepAsTombstone(state, state.keyWindows(key), tombstone);
  }

  /** Restored windows may arrive in any order; sessions must stay sorted by start. */
  protected insertOpen(keyWindows: KeyWindows<TKey>, window: WindowState<TKey>): void {
    const open = keyWindows.open;
    let index = open.length;
    while (index > 0 && open[index - 1].start > window.start) index--;
    open.splice(index, 0, window);
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
    open.splice(firstOverlap + 1, lastOverlap - firstOverlap);
    survivor.start = Math.min(survivor.start, eventTime);
    survivor.end = Math.max(survivor.end, sessionEnd);
    this.reschedule(state, survivor, survivor.end + this.graceMs);
    return survivor;
  }

  private reachesClosedSession(keyWindows: KeyWindows<TKey> | undefined, eventTime: number, sessionEnd: number): boolean {
    const closed = keyWindows?.lastClosed;
    return closed != null && eventTime < closed.end && closed.start < sessionEnd;
  }

  /**
   * Only the latest closed session matters: an event reaching an older one is already
   * past its own close time. The tombstone expires once its gap is closed too.
   */
  private keepAsTombstone(state: PartitionState<TKey>, keyWindows: KeyWindows<TKey>, session: WindowState<TKey>): void {
    keyWindows.lastClosed = session;
    session.dueAt = session.end + this.gapMs + this.graceMs;
    state.schedule.add(session.dueAt, session);
  }

  /**
   * At expiry no event can reach the tombstone on its own, but one could still bridge it
   * to the next open session if that starts within a gap of the tombstone's end. That
   * session becomes the tombstone when it closes, so nothing needs rescheduling here.
   */
  private canStillBeReached(keyWindows: KeyWindows<TKey>, tombstone: WindowState<TKey>): boolean {
    const next = keyWindows.open[0];
    return next !== undefined && next.start < tombstone.end + this.gapMs;
  }
}
