import { AccumulatorLayout } from './accumulator-layout';
import type { AggregateSpecs, AggregateValues } from './aggregates';
import { toMillis } from './duration';
import {
  InvalidArgumentError,
  InvalidConfigError,
  InvalidEventTimeError,
  PartitionConflictError,
  SnapshotMismatchError,
} from './errors';
import { type StateIdentity, stateIdentity } from './key-state-codec';
import {
  type GroupKey,
  type KeyWindows,
  PartitionState,
  type WindowState,
  emptyCounters,
} from './partition-state';
import { SessionWindowAssigner } from './session-window-assigner';
import {
  capturePartition,
  decodeSnapshot,
  encodeSnapshot,
  type SnapshotIdentity,
} from './snapshot';
import { PanedWindowAssigner } from './paned-window-assigner';
import { TimeWindowAssigner } from './time-window-assigner';
import type {
  KeyChange,
  KeyState,
  LateRecord,
  PartitionChanges,
  PartitionClock,
  PartitionId,
  PartitionStats,
  ProcessOutput,
  WindowingConfig,
  WindowingEngine,
  WindowingStats,
  WindowResult,
} from './types';
import type {
  LateReason,
  WindowAssigner,
  WindowListener,
} from './window-assigner';

/**
 * Creates an engine for one pipeline definition. The result type follows from the
 * aggregates: `{ n: count(), t: trend(...) }` yields values `{ n: number; t: Trend }`.
 */
export function createWindowingEngine<
  TEvent,
  TKey extends GroupKey,
  TAggregates extends AggregateSpecs<TEvent>,
>(
  config: WindowingConfig<TEvent, TKey, TAggregates>,
): WindowingEngine<TEvent, TKey, AggregateValues<TAggregates>> {
  return new Engine<TEvent, TKey, AggregateValues<TAggregates>>(config);
}

/** Owns time and output; the window assigner reports back through the WindowListener side. */
class Engine<TEvent, TKey extends GroupKey, TValues>
  implements
    WindowingEngine<TEvent, TKey, TValues>,
    WindowListener<TEvent, TKey>
{
  private readonly eventTimeOf: (event: TEvent) => number;
  private readonly layout: AccumulatorLayout<TEvent, TValues>;
  private readonly assigner: WindowAssigner<TEvent, TKey>;
  private readonly pipelineSignature: string;
  private readonly identity: StateIdentity;
  private readonly maxOutOfOrdernessMs: number;
  /** undefined in final mode. */
  private readonly updateThrottleMs: number | undefined;
  /** Update mode; read by the assigners on every event, hence a plain field. */
  readonly wantsUpdates: boolean;

  private readonly partitions = new Map<PartitionId, PartitionState<TKey>>();
  /** Same states, ascending partition id: stats list partitions in a fixed order. */
  private partitionOrder: PartitionState<TKey>[] = [];
  private readonly totals = emptyCounters();
  private results: WindowResult<TKey, TValues>[] = [];
  private late: LateRecord<TEvent>[] = [];
  /** Reused across batches: event times are read and validated before any state changes. */
  private eventTimes = new Float64Array(1024);

  constructor(config: WindowingConfig<TEvent, TKey, AggregateSpecs<TEvent>>) {
    if (
      typeof config.eventTime !== 'function' ||
      typeof config.key !== 'function'
    ) {
      throw new InvalidConfigError(
        'eventTime and key must be functions of the event',
        {
          eventTime: typeof config.eventTime,
          key: typeof config.key,
        },
      );
    }
    this.eventTimeOf = config.eventTime;
    this.layout = new AccumulatorLayout<TEvent, TValues>(config.aggregates);
    const spec = config.window;
    const emit = config.emit ?? 'final';
    this.updateThrottleMs =
      emit === 'final' ? undefined : toMillis(emit.throttle, 'update throttle');
    this.wantsUpdates = this.updateThrottleMs !== undefined;
    const panes =
      spec.kind !== 'session' &&
      PanedWindowAssigner.canUsePanes(spec, this.wantsUpdates);
    this.assigner =
      spec.kind === 'session'
        ? new SessionWindowAssigner(spec, config.key, this.layout, this)
        : panes
          ? new PanedWindowAssigner(spec, config.key, this.layout, this)
          : new TimeWindowAssigner(spec, config.key, this.layout, this);
    // Pane state is not window state: a changelog written the other way must not restore.
    this.pipelineSignature = `${spec.layoutSignature()}${panes ? '+panes' : ''};${this.layout.signature}`;
    this.identity = stateIdentity(
      this.pipelineSignature,
      this.layout.numberSlotCount,
      this.layout.valueSlotCount,
    );
    const watermark = config.watermark ?? {};
    // Removed options fail loudly: silently ignoring them would change what is late.
    for (const removed of ['idleTimeout', 'closeWindowsOn']) {
      if (removed in watermark) {
        throw new InvalidConfigError(
          `watermark.${removed} was removed: windows close on their own partition's watermark only`,
          { option: removed },
        );
      }
    }
    this.maxOutOfOrdernessMs = toMillis(
      watermark.maxOutOfOrderness ?? 0,
      'maxOutOfOrderness',
    );
  }

  process(
    partition: PartitionId,
    events: readonly TEvent[],
  ): ProcessOutput<TEvent, TKey, TValues> {
    assertPartitionId(partition);
    const eventTimes = this.readEventTimes(partition, events);
    const results: WindowResult<TKey, TValues>[] = [];
    const late: LateRecord<TEvent>[] = [];
    this.results = results;
    this.late = late;
    // An empty batch changes nothing; it must not create state either, or a following
    // restore() of that partition would be refused.
    if (events.length > 0) {
      const state =
        this.partitions.get(partition) ??
        this.addPartition(this.newPartition(partition));
      this.processEvents(state, events, eventTimes);
    }
    return { results, late };
  }

  advanceEventTime(
    partition: PartitionId,
    eventTime: number,
  ): ProcessOutput<TEvent, TKey, TValues> {
    assertPartitionId(partition);
    if (!Number.isFinite(eventTime)) {
      throw new InvalidArgumentError(
        'eventTime must be finite epoch milliseconds',
        { partition, eventTime },
      );
    }
    const results: WindowResult<TKey, TValues>[] = [];
    const late: LateRecord<TEvent>[] = [];
    this.results = results;
    this.late = late;
    const state =
      this.partitions.get(partition) ??
      this.addPartition(this.newPartition(partition));
    // Like an event at that time, minus the event: the clock moves, windows close, nothing is added.
    if (eventTime > state.maxEventTime) {
      this.raiseEventTime(state, eventTime);
    }
    if (this.wantsUpdates) {
      this.flushThrottledUpdates(state);
    }
    return { results, late };
  }

  snapshot(partition: PartitionId): Uint8Array {
    assertPartitionId(partition);
    const state =
      this.partitions.get(partition) ?? this.newPartition(partition);
    return encodeSnapshot(
      this.snapshotIdentity(partition),
      capturePartition(state),
    );
  }

  restore(partition: PartitionId, snapshot: Uint8Array): void {
    assertPartitionId(partition);
    if (this.partitions.has(partition)) {
      throw new PartitionConflictError(
        'partition already holds state; revoke it before restoring',
        { partition },
      );
    }
    const stored = decodeSnapshot<TKey>(
      snapshot,
      this.snapshotIdentity(partition),
    );
    const state = new PartitionState<TKey>(partition);
    state.maxEventTime = stored.maxEventTime;
    state.eventTimeWatermark = stored.maxEventTime - this.maxOutOfOrdernessMs;
    // The stored closing watermark is what the partition judged lateness against.
    state.closingWatermark = stored.closingWatermark;
    state.arrivals = stored.arrivals;
    Object.assign(state.counters, stored.counters);
    const windows = stored.windows.map((window) => {
      const restored = this.assigner.restoreOpenWindow(state, window);
      restored.lastUpdateAt = window.lastUpdateAt;
      restored.updatePending = window.updatePending;
      return restored;
    });
    if (this.updateThrottleMs !== undefined) {
      for (const index of stored.throttleQueue) {
        state.enqueueThrottle(windows[index]);
      }
    }
    for (const session of stored.closedSessions) {
      this.assigner.restoreClosedSession(
        state,
        state.keyWindows(session.key),
        session.start,
        session.end,
      );
    }
    // Not tracking: a changelog fed from here on starts from nothing, and the first
    // takeChanges reports every key.
    this.addPartition(state);
  }

  takeChanges(partition: PartitionId): PartitionChanges<TKey> {
    assertPartitionId(partition);
    const state = this.partitions.get(partition);
    if (state === undefined) {
      return { clock: this.clockOf(this.newPartition(partition)), keys: [] };
    }
    const keys: KeyChange<TKey>[] = [];
    if (!state.tracking) {
      // The first call: nothing was recorded, every key is news (O(state), once).
      state.tracking = true;
      for (const keyWindows of state.keys.values()) {
        keyWindows.dirty = false;
        keys.push({ key: keyWindows.key, state: this.keyStateOf(keyWindows) });
      }
      return { clock: this.clockOf(state), keys };
    }
    const changed = state.changed;
    state.changed = [];
    let released: Set<TKey> | undefined;
    for (let index = 0; index < changed.length; index++) {
      const keyWindows = changed[index];
      keyWindows.dirty = false;
      const key = keyWindows.key;
      // A key holding state is always the live entry of the key map (keys are released as
      // soon as they are empty, and a released entry never gets windows again).
      if (!keyWindows.isEmpty) {
        keys.push({ key, state: this.keyStateOf(keyWindows) });
      } else if (!state.keys.has(key)) {
        // Released (maybe more than once: re-created and released again); one tombstone.
        released ??= new Set<TKey>();
        if (!released.has(key)) {
          released.add(key);
          keys.push({ key, state: null });
        }
      }
      // Otherwise released and re-created: the live entry is listed too and reports.
    }
    return { clock: this.clockOf(state), keys };
  }

  restoreKeys(
    partition: PartitionId,
    clock: PartitionClock | undefined,
    keys: Iterable<KeyState<TKey>>,
  ): void {
    assertPartitionId(partition);
    if (this.partitions.has(partition)) {
      throw new PartitionConflictError(
        'partition already holds state; revoke it before restoring',
        { partition },
      );
    }
    if (clock !== undefined && clock.partition !== partition) {
      throw new SnapshotMismatchError(
        'partition clock belongs to another partition',
        { partition, clockPartition: clock.partition },
      );
    }
    const state = this.newPartition(partition);
    // The changelog holds every key as restored: changes count from here.
    state.tracking = true;
    if (clock !== undefined) {
      state.maxEventTime = clock.maxEventTime;
      state.eventTimeWatermark = clock.maxEventTime - this.maxOutOfOrdernessMs;
      // The stored closing watermark is what the partition judged lateness against.
      state.closingWatermark = clock.closingWatermark;
      state.arrivals = clock.arrivals;
      Object.assign(state.counters, clock.counters);
      state.throttleSequence = clock.throttleSequence;
    }
    const { numberSlotCount, valueSlotCount } = this.layout;
    const updates = this.updateThrottleMs !== undefined;
    const throttled: WindowState<TKey>[] = [];
    for (const keyState of keys) {
      const key = keyState.key;
      if (state.keys.has(key)) {
        throw new InvalidArgumentError('key state given twice', {
          partition,
          key,
        });
      }
      const keyWindows = state.keyWindows(key);
      for (const stored of keyState.windows) {
        if (
          stored.numbers.length - stored.firstSlot !== numberSlotCount ||
          stored.values.length !== valueSlotCount
        ) {
          throw new SnapshotMismatchError(
            'key state does not fit the aggregates of the pipeline',
            {
              partition,
              key,
              numberSlots: stored.numbers.length - stored.firstSlot,
              valueSlots: stored.values.length,
              expectedNumberSlots: numberSlotCount,
              expectedValueSlots: valueSlotCount,
            },
          );
        }
        const window = this.assigner.restoreKeyWindow(
          state,
          keyWindows,
          stored,
        );
        if (updates && stored.throttleSequence > 0) {
          window.throttleSequence = stored.throttleSequence;
          throttled.push(window);
        }
      }
      const tombstone = keyState.lastClosed;
      if (tombstone !== null) {
        this.assigner.restoreClosedSession(
          state,
          keyWindows,
          tombstone.start,
          tombstone.end,
          tombstone.scheduleSequence,
        );
      }
      state.releaseIfEmpty(keyWindows);
    }
    state.schedule.heapify(clock?.scheduleSequence ?? 0);
    // The queue is first in, first out: push order is what its sequence numbers record.
    throttled.sort(
      (left, right) => left.throttleSequence - right.throttleSequence,
    );
    for (const window of throttled) state.throttle.push(window);
    if (throttled.length > 0) {
      state.throttleSequence = Math.max(
        state.throttleSequence,
        throttled[throttled.length - 1].throttleSequence,
      );
    }
    this.addPartition(state);
  }

  stateIdentity(): StateIdentity {
    return this.identity;
  }

  revoke(partition: PartitionId): void {
    assertPartitionId(partition);
    if (this.partitions.delete(partition)) {
      this.partitionOrder = this.partitionOrder.filter(
        (state) => state.partition !== partition,
      );
    }
  }

  watermark(partition: PartitionId): number {
    return this.partitions.get(partition)?.eventTimeWatermark ?? -Infinity;
  }

  stats(): WindowingStats {
    return {
      totals: { ...this.totals },
      partitions: this.partitionOrder.map((state): PartitionStats => ({
        partition: state.partition,
        watermark: state.eventTimeWatermark,
        closingWatermark: state.closingWatermark,
        maxEventTime: state.maxEventTime,
        openWindows: state.openWindows,
        ...state.counters,
      })),
    };
  }

  onLate(
    state: PartitionState<TKey>,
    event: TEvent,
    windowStart: number,
    windowEnd: number,
    reason: LateReason,
  ): void {
    this.late.push({
      event,
      partition: state.partition,
      windowStart,
      windowEnd,
      watermark: state.closingWatermark,
      reason,
    });
  }

  onUpdated(state: PartitionState<TKey>, window: WindowState<TKey>): void {
    if (window.inThrottleQueue) {
      window.updatePending = true;
    } else {
      this.emitUpdate(state, window);
    }
  }

  onClosed(state: PartitionState<TKey>, window: WindowState<TKey>): void {
    this.emit(state, window, true);
  }

  /** Per event, not per batch: this is what makes the output independent of batching. */
  private processEvents(
    state: PartitionState<TKey>,
    events: readonly TEvent[],
    eventTimes: Float64Array,
  ): void {
    const assigner = this.assigner;
    const late = this.late;
    for (let index = 0; index < events.length; index++) {
      const eventTime = eventTimes[index];
      if (eventTime > state.maxEventTime) {
        this.raiseEventTime(state, eventTime);
      }
      const lateBefore = late.length;
      state.arrivals += 1;
      assigner.assign(state, events[index], eventTime, state.arrivals);
      if (late.length !== lateBefore) {
        state.counters.lateEvents += 1;
        this.totals.lateEvents += 1;
      }
      if (this.wantsUpdates) {
        this.flushThrottledUpdates(state);
      }
    }
    state.counters.eventsProcessed += events.length;
    this.totals.eventsProcessed += events.length;
  }

  /** The partition's own clock moves; windows close on it and on nothing else. */
  private raiseEventTime(
    state: PartitionState<TKey>,
    eventTime: number,
  ): void {
    state.maxEventTime = eventTime;
    const watermark = eventTime - this.maxOutOfOrdernessMs;
    state.eventTimeWatermark = watermark;
    this.closeDueWindows(state, watermark);
  }

  private closeDueWindows(
    state: PartitionState<TKey>,
    watermark: number,
  ): void {
    if (watermark > state.closingWatermark) {
      state.closingWatermark = watermark;
    }
    const schedule = state.schedule;
    // Entries filed during the sweep (re-filed sessions, tombstones) come up in the same loop.
    for (
      let window = schedule.takeDue(state.closingWatermark);
      window !== undefined;
      window = schedule.takeDue(state.closingWatermark)
    ) {
      this.assigner.onDue(state, window);
    }
  }

  /** Throttle time is the partition's stream time (max event time), so it is deterministic. */
  private flushThrottledUpdates(state: PartitionState<TKey>): void {
    const throttleMs = this.updateThrottleMs ?? 0;
    const queue = state.throttle;
    for (
      let window = queue.peek();
      window !== undefined &&
      window.lastUpdateAt + throttleMs <= state.maxEventTime;
      window = queue.peek()
    ) {
      queue.shift();
      window.throttleSequence = 0;
      if (window.lifecycle !== 'open') continue;
      const keyWindows = state.keys.get(window.key);
      if (keyWindows !== undefined) state.touch(keyWindows);
      if (window.updatePending) this.emitUpdate(state, window);
    }
  }

  private emitUpdate(
    state: PartitionState<TKey>,
    window: WindowState<TKey>,
  ): void {
    window.updatePending = false;
    window.lastUpdateAt = state.maxEventTime;
    state.enqueueThrottle(window);
    this.emit(state, window, false);
  }

  private emit(
    state: PartitionState<TKey>,
    window: WindowState<TKey>,
    final: boolean,
  ): void {
    this.results.push({
      key: window.key,
      windowStart: window.start,
      windowEnd: window.end,
      partition: state.partition,
      final,
      values: this.layout.result(window),
    });
    state.counters.resultsEmitted += 1;
    this.totals.resultsEmitted += 1;
  }

  private readEventTimes(
    partition: PartitionId,
    events: readonly TEvent[],
  ): Float64Array {
    if (this.eventTimes.length < events.length) {
      this.eventTimes = new Float64Array(
        Math.max(events.length, this.eventTimes.length * 2),
      );
    }
    const eventTimes = this.eventTimes;
    for (let index = 0; index < events.length; index++) {
      const eventTime = this.eventTimeOf(events[index]);
      if (typeof eventTime !== 'number' || !Number.isFinite(eventTime)) {
        throw new InvalidEventTimeError(
          'event time must be a finite number of epoch milliseconds',
          {
            partition,
            index,
            eventTime,
          },
        );
      }
      eventTimes[index] = eventTime;
    }
    return eventTimes;
  }

  private newPartition(partition: PartitionId): PartitionState<TKey> {
    return new PartitionState<TKey>(partition);
  }

  private addPartition(state: PartitionState<TKey>): PartitionState<TKey> {
    this.partitions.set(state.partition, state);
    this.partitionOrder = [...this.partitionOrder, state].sort(
      (left, right) => left.partition - right.partition,
    );
    return state;
  }

  private clockOf(state: PartitionState<TKey>): PartitionClock {
    return {
      partition: state.partition,
      maxEventTime: state.maxEventTime,
      closingWatermark: state.closingWatermark,
      arrivals: state.arrivals,
      counters: { ...state.counters },
      scheduleSequence: state.schedule.lastSequence,
      throttleSequence: state.throttleSequence,
    };
  }

  /**
   * A view of the key's live state: its open windows and tombstone are WindowStates, which
   * are StoredKeyWindows too. Nothing is copied, so takeChanges stays cheap at any size;
   * the caller encodes before the engine runs again.
   */
  private keyStateOf(keyWindows: KeyWindows<TKey>): KeyState<TKey> {
    return {
      key: keyWindows.key,
      windows: keyWindows.open,
      lastClosed: keyWindows.lastClosed,
    };
  }

  private snapshotIdentity(partition: PartitionId): SnapshotIdentity {
    return {
      pipeline: this.pipelineSignature,
      partition,
      numberSlots: this.layout.numberSlotCount,
      valueSlots: this.layout.valueSlotCount,
    };
  }
}

function assertPartitionId(partition: PartitionId): void {
  if (!Number.isInteger(partition) || partition < 0) {
    throw new InvalidArgumentError('partition must be a non-negative integer', {
      partition,
    });
  }
}
