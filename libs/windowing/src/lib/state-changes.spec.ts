import {
  count,
  createWindowingEngine,
  decodeKeyState,
  decodePartitionClock,
  encodeKeyState,
  encodePartitionClock,
  first,
  hopping,
  type KeyState,
  last,
  max,
  type PartitionClock,
  PartitionConflictError,
  type StoredKeyWindow,
  session,
  SnapshotMismatchError,
  SnapshotUnreadableError,
  stateIdentity,
  tumbling,
} from '../index';
import { ChangelogModel } from '../testing/changelog';
import {
  collect,
  createTestEngine,
  emptyRun,
  finalsOf,
  reading,
  type TestEngine,
} from '../testing/fixtures';

function changedKeys(engine: TestEngine, partition = 0) {
  return engine
    .takeChanges(partition)
    .keys.map(({ key, state }) => [
      key,
      state === null ? null : state.windows.length,
    ]);
}

describe('takeChanges', () => {
  it('reports only the keys the batch touched, each once', () => {
    const engine = createTestEngine(tumbling(1_000));
    const keys = Array.from({ length: 50 }, (_unused, index) => `k${index}`);
    engine.process(
      0,
      keys.map((key, index) => reading(key, index)),
    );
    expect(engine.takeChanges(0).keys).toHaveLength(50);
    engine.process(
      0,
      ['k7', 'k3', 'k7', 'k42', 'k3'].map((key) => reading(key, 100)),
    );
    expect(changedKeys(engine)).toEqual([
      ['k7', 1],
      ['k3', 1],
      ['k42', 1],
    ]);
  });

  it('starts tracking with the first call, which reports every key the partition holds', () => {
    const engine = createTestEngine(tumbling(10));
    // a's window closes before anyone asked: a never reaches a changelog, so no tombstone either.
    engine.process(0, [reading('a', 1), reading('b', 25), reading('c', 26)]);
    expect(changedKeys(engine)).toEqual([
      ['b', 1],
      ['c', 1],
    ]);
    engine.process(0, [reading('c', 27)]);
    expect(changedKeys(engine)).toEqual([['c', 1]]);
  });

  it('returns the clock and no keys when nothing changed', () => {
    const engine = createTestEngine(tumbling(10), {
      watermark: { maxOutOfOrderness: 2 },
    });
    engine.process(0, [reading('a', 5), reading('b', 7)]);
    engine.takeChanges(0);
    expect(engine.takeChanges(0)).toEqual({
      clock: {
        partition: 0,
        maxEventTime: 7,
        closingWatermark: 5,
        arrivals: 2,
        counters: { eventsProcessed: 2, lateEvents: 0, resultsEmitted: 0 },
        scheduleSequence: 2,
        throttleSequence: 0,
      },
      keys: [],
    });
  });

  it('of a partition never seen returns its initial clock and no keys, and creates no state', () => {
    const engine = createTestEngine(tumbling(10));
    expect(engine.takeChanges(3)).toEqual({
      clock: expect.objectContaining({
        partition: 3,
        maxEventTime: -Infinity,
        closingWatermark: -Infinity,
        arrivals: 0,
      }),
      keys: [],
    });
    expect(engine.stats().partitions).toEqual([]);
  });

  it('reports a key whose last window closed as a tombstone (null), and not a pane that only moved on to its next window', () => {
    const engine = createTestEngine(hopping(20, 10));
    // b's window [-10, 10) is already closed: b gets [0, 20) only.
    engine.process(0, [reading('a', 15), reading('b', 1)]);
    engine.takeChanges(0);
    // Watermark 25 closes [0, 20) of both: b has nothing left; a keeps its pane [10, 20), now
    // waiting for [10, 30), which a restore finds from the watermark (nothing of a to write);
    // c's one reading is one pane [20, 30) of [10, 30) and [20, 40).
    engine.process(0, [reading('c', 25)]);
    expect(changedKeys(engine)).toEqual([
      ['b', null],
      ['c', 1],
    ]);
    // Once [10, 30) closes, a's pane expires: a tombstone; c's pane moves on to [20, 40).
    engine.process(0, [reading('d', 31)]);
    expect(changedKeys(engine)).toEqual([
      ['a', null],
      ['d', 1],
    ]);
  });

  it('reports a released and re-created key once, with its current state', () => {
    const engine = createTestEngine(tumbling(10));
    engine.process(0, [reading('a', 1)]);
    engine.takeChanges(0);
    // b's event closes a's window (a is released), then a's event re-creates a.
    engine.process(0, [reading('b', 12), reading('a', 13)]);
    expect(changedKeys(engine)).toEqual([
      ['b', 1],
      ['a', 1],
    ]);
    engine.process(0, [reading('b', 25), reading('b', 35)]);
    expect(changedKeys(engine)).toEqual([
      ['a', null],
      ['b', 1],
    ]);
  });

  it('tracks session tombstones: set when the session closes, a null state when they expire', () => {
    const engine = createTestEngine(session(10));
    engine.process(0, [reading('a', 0)]);
    engine.takeChanges(0);
    engine.advanceEventTime(0, 10);
    const [change] = engine.takeChanges(0).keys;
    expect(change.key).toBe('a');
    expect(change.state?.windows).toEqual([]);
    const tombstone = change.state?.lastClosed;
    expect([
      tombstone?.start,
      tombstone?.end,
      tombstone?.scheduleSequence,
    ]).toEqual([0, 10, 2]);
    engine.advanceEventTime(0, 19);
    expect(changedKeys(engine)).toEqual([]);
    engine.advanceEventTime(0, 20);
    expect(changedKeys(engine)).toEqual([['a', null]]);
  });

  it('reports merges of sessions', () => {
    const engine = createTestEngine(session(10), {
      watermark: { maxOutOfOrderness: 50 },
    });
    engine.process(0, [reading('a', 0), reading('a', 18)]);
    expect(changedKeys(engine)).toEqual([['a', 2]]);
    engine.process(0, [reading('a', 9)]);
    expect(changedKeys(engine)).toEqual([['a', 1]]);
  });

  it('reports throttle state changes in update mode', () => {
    const engine = createTestEngine(tumbling(100), {
      emit: { mode: 'update', throttle: 10 },
    });
    engine.process(0, [reading('a', 1), reading('a', 2)]);
    const updateState = (window: StoredKeyWindow | undefined) => [
      window?.lastUpdateAt,
      window?.updatePending,
      window?.throttleSequence,
    ];
    const [window] = engine.takeChanges(0).keys[0].state?.windows ?? [];
    expect(updateState(window)).toEqual([1, true, 1]);
    // b's event moves stream time past a's throttle: a's pending update goes out and is re-queued.
    engine.process(0, [reading('b', 11)]);
    const changes = engine.takeChanges(0).keys;
    expect(changes.map((change) => change.key)).toEqual(['b', 'a']);
    expect(updateState(changes[1].state?.windows[0])).toEqual([11, false, 3]);
  });

  it('starts empty after restoreKeys and counts every key after a JSON restore', () => {
    const engine = createTestEngine(tumbling(10));
    engine.process(0, [reading('a', 1), reading('b', 2)]);
    const changelog = new ChangelogModel<string>();
    changelog.commit(engine);
    const restored = createTestEngine(tumbling(10));
    changelog.restoreInto(restored, 1);
    expect(restored.takeChanges(0).keys).toEqual([]);
    const fromSnapshot = createTestEngine(tumbling(10));
    fromSnapshot.restore(0, engine.snapshot(0));
    expect(changedKeys(fromSnapshot)).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
  });
});

describe('restoreKeys', () => {
  it('closes windows due at the same time in the original order, whatever order keys arrive in', () => {
    const keys = ['m', 'c', 'x', 'a', 'q', 'b', 'z', 'k'];
    const events = keys.map((key, index) => reading(key, index));
    const uninterrupted = createTestEngine(tumbling(100));
    uninterrupted.process(0, events);
    const expected = finalsOf(uninterrupted.advanceEventTime(0, 500)).map(
      (result) => result.key,
    );
    expect(expected).toEqual(keys);
    for (let seed = 0; seed < 10; seed++) {
      const source = createTestEngine(tumbling(100));
      source.process(0, events);
      const changelog = new ChangelogModel<string>();
      changelog.commit(source);
      const restored = createTestEngine(tumbling(100));
      changelog.restoreInto(restored, seed);
      expect(
        finalsOf(restored.advanceEventTime(0, 500)).map((result) => result.key),
      ).toEqual(keys);
    }
  });

  it('restores a pane written before it moved on at the window the watermark has reached, emitting every window once in the original order', () => {
    const spec = () => createTestEngine(hopping(30, 10));
    // Each key's one pane belongs to three windows; the other keys' readings close them one by one.
    const first = [reading('p', 5), reading('q', 6), reading('r', 7)];
    const later = [
      reading('s', 12),
      reading('t', 22),
      reading('u', 32),
      reading('v', 52),
    ];
    const uninterrupted = spec();
    const expected = collect(
      collect(emptyRun(), uninterrupted.process(0, first)),
      uninterrupted.process(0, later),
    );
    for (let cut = 0; cut <= later.length; cut++) {
      const before = spec();
      const output = collect(emptyRun(), before.process(0, first));
      const changelog = new ChangelogModel<string>();
      changelog.commit(before);
      // p, q and r are written once, when their panes open; the windows closing now do not write them.
      collect(output, before.process(0, later.slice(0, cut)));
      changelog.commit(before);
      const after = spec();
      changelog.restoreInto(after, cut);
      collect(output, after.process(0, later.slice(cut)));
      expect(output).toEqual(expected);
    }
  });

  it('consumes the keys lazily, as they come', () => {
    const source = createTestEngine(tumbling(10));
    source.process(0, [reading('a', 1), reading('b', 2)]);
    const { clock, keys } = source.takeChanges(0);
    const consumed: string[] = [];
    function* states(): Generator<KeyState<string>> {
      for (const change of keys) {
        if (change.state === null) continue;
        consumed.push(change.key);
        yield change.state;
      }
    }
    const restored = createTestEngine(tumbling(10));
    restored.restoreKeys(0, clock, states());
    expect(consumed).toEqual(['a', 'b']);
    expect(restored.stats().partitions[0].openWindows).toBe(2);
  });

  it('without a clock starts the partition from scratch', () => {
    const engine = createTestEngine(tumbling(10));
    engine.restoreKeys(1, undefined, []);
    expect(engine.takeChanges(1).clock).toEqual(
      createTestEngine(tumbling(10)).takeChanges(1).clock,
    );
  });

  it('is refused for a partition holding state, a clock of another partition, a key given twice and states of another layout', () => {
    const source = createTestEngine(tumbling(10));
    source.process(0, [reading('a', 1)]);
    const { clock, keys } = source.takeChanges(0);
    const states = keys.flatMap((change) =>
      change.state === null ? [] : [change.state],
    );
    expect(() => source.restoreKeys(0, clock, states)).toThrow(
      PartitionConflictError,
    );
    expect(() =>
      createTestEngine(tumbling(10)).restoreKeys(1, clock, states),
    ).toThrow(SnapshotMismatchError);
    expect(() =>
      createTestEngine(tumbling(10)).restoreKeys(0, clock, [
        ...states,
        ...states,
      ]),
    ).toThrow(/twice/);
    const fewerAggregates = createWindowingEngine({
      eventTime: (event: { time: number; key: string }) => event.time,
      key: (event) => event.key,
      window: tumbling(10),
      aggregates: { n: count() },
    });
    expect(() => fewerAggregates.restoreKeys(0, clock, states)).toThrow(
      SnapshotMismatchError,
    );
    // A refused restore leaves no state behind.
    expect(fewerAggregates.stats().partitions).toEqual([]);
  });
});

describe('key state codec', () => {
  const identity = stateIdentity('test-layout', 3, 2);
  const state: KeyState<string> = {
    key: 'ключ-😀',
    windows: [
      {
        start: 0,
        end: 60_000,
        scheduledAt: 70_000,
        scheduleSequence: 17,
        numbers: [Infinity, -Infinity, NaN],
        firstSlot: 0,
        values: ['first value', { nested: [1, 'two'] }],
        lastUpdateAt: 1_234,
        updatePending: true,
        throttleSequence: 5,
      },
      {
        start: 1.5,
        end: 2e15,
        scheduledAt: -Infinity,
        scheduleSequence: 2 ** 40,
        numbers: [0, -0.25, Number.MAX_VALUE],
        firstSlot: 0,
        values: [null, 42],
        lastUpdateAt: -Infinity,
        updatePending: false,
        throttleSequence: 0,
      },
    ],
    lastClosed: { start: -5, end: 5, scheduleSequence: 3 },
  };

  it('round-trips string and number keys, ±Infinity and NaN, first/last values and update state', () => {
    expect(decodeKeyState(identity, encodeKeyState(identity, state))).toEqual(
      state,
    );
    for (const key of ['', 'a', 'x'.repeat(300), 'ü'.repeat(70)]) {
      expect(
        decodeKeyState(identity, encodeKeyState(identity, { ...state, key })),
      ).toEqual({ ...state, key });
    }
    for (const key of [0, -1, 3.5, 2 ** 53, Infinity, NaN]) {
      expect(
        decodeKeyState(identity, encodeKeyState(identity, { ...state, key }))
          .key,
      ).toBe(key);
    }
  });

  it('encodes the slots from firstSlot on, decoding them to firstSlot 0', () => {
    const padded: KeyState<string> = {
      ...state,
      windows: state.windows.map((window) => ({
        ...window,
        numbers: [99, 98, ...window.numbers],
        firstSlot: 2,
      })),
    };
    expect(decodeKeyState(identity, encodeKeyState(identity, padded))).toEqual(
      state,
    );
  });

  it('is compact: a header, the key and float64 numbers, no JSON for numbers', () => {
    const numeric = stateIdentity('numeric', 3, 0);
    const bytes = encodeKeyState(numeric, {
      key: 'a',
      windows: [
        {
          start: 0,
          end: 10,
          scheduledAt: 10,
          scheduleSequence: 1,
          numbers: [1, 2, 3],
          firstSlot: 0,
          values: [],
          lastUpdateAt: -Infinity,
          updatePending: false,
          throttleSequence: 0,
        },
      ],
      lastClosed: null,
    });
    // header 7, key tag + length + 'a' 3, flags 1, window count 1, window flags 1 + 4 × 8 + 3 × 8
    expect(bytes.byteLength).toBe(7 + 3 + 1 + 1 + 1 + 32 + 24);
  });

  it('copies records to where the allocator says, e.g. pooled Buffers at an offset', () => {
    const pooled = encodeKeyState(identity, state, (length) =>
      Buffer.allocUnsafe(length),
    );
    expect(Buffer.isBuffer(pooled)).toBe(true);
    const shifted = new Uint8Array(pooled.length + 3);
    shifted.set(pooled, 3);
    expect(decodeKeyState(identity, shifted.subarray(3))).toEqual(state);
    expect(decodeKeyState(identity, pooled)).toEqual(state);
  });

  it('round-trips partition clocks', () => {
    const clock: PartitionClock = {
      partition: 7,
      maxEventTime: 1_700_000_000_123,
      closingWatermark: -Infinity,
      arrivals: 12,
      counters: { eventsProcessed: 12, lateEvents: 1, resultsEmitted: 4 },
      scheduleSequence: 9,
      throttleSequence: 0,
    };
    const bytes = encodePartitionClock(identity, clock);
    expect(decodePartitionClock(identity, bytes)).toEqual(clock);
  });

  it('carries what engine state needs, through the engine', () => {
    const pipeline = () =>
      createWindowingEngine({
        eventTime: (event: { time: number; value: number; label: string }) =>
          event.time,
        key: () => 7,
        window: tumbling(10),
        aggregates: {
          peak: max((event: { value: number }) => event.value),
          label: first((event: { label: string }) => event.label),
          latest: last((event: { label: string }) => event.label),
        },
      });
    const source = pipeline();
    source.process(0, [
      { time: 1, value: Infinity, label: 'x' },
      { time: 2, value: 3, label: 'y' },
    ]);
    const changelog = new ChangelogModel<number>();
    changelog.commit(source);
    const restored = pipeline();
    changelog.restoreInto(restored, 0);
    expect(
      restored.process(0, [{ time: 20, value: 0, label: 'z' }]).results[0],
    ).toMatchObject({
      key: 7,
      values: { peak: Infinity, label: 'x', latest: 'y' },
    });
  });

  describe('refuses with a typed error', () => {
    const valid = encodeKeyState(identity, state);

    it('records of another layout (SnapshotMismatchError)', () => {
      for (const other of [
        stateIdentity('other-layout', 3, 2),
        stateIdentity('test-layout', 4, 2),
      ]) {
        expect(() => decodeKeyState(other, valid)).toThrow(
          SnapshotMismatchError,
        );
      }
      const tumblingEngine = createTestEngine(tumbling(10));
      const hoppingEngine = createTestEngine(hopping(10, 5));
      tumblingEngine.process(0, [reading('a', 1)]);
      const [change] = tumblingEngine.takeChanges(0).keys;
      if (change.state === null) throw new Error('expected a state');
      const bytes = encodeKeyState(
        tumblingEngine.stateIdentity(),
        change.state,
      );
      expect(() =>
        decodeKeyState(hoppingEngine.stateIdentity(), bytes),
      ).toThrow(
        expect.objectContaining({
          code: 'SNAPSHOT_MISMATCH',
          context: expect.objectContaining({
            expectedLayout: hoppingEngine.stateIdentity().signature,
          }),
        }),
      );
    });

    it('garbage, naming the problem (SnapshotUnreadableError)', () => {
      const cases: Array<[Uint8Array, RegExp]> = [
        [new Uint8Array([]), /too short/],
        [new TextEncoder().encode('{"format":"json"}'), /does not start/],
        [valid.slice(0, valid.length - 1), /lastClosed is truncated/],
        [valid.slice(0, 20), /truncated/],
        [Uint8Array.from([...valid, 0]), /trailing/],
        [
          encodePartitionClock(identity, decodeClockFixture()),
          /partition clock record/,
        ],
      ];
      for (const [bytes, message] of cases) {
        expect(() => decodeKeyState(identity, bytes)).toThrow(
          SnapshotUnreadableError,
        );
        expect(() => decodeKeyState(identity, bytes)).toThrow(message);
      }
      const futureVersion = valid.slice();
      futureVersion[1] = 2;
      expect(() => decodeKeyState(identity, futureVersion)).toThrow(
        expect.objectContaining({
          code: 'SNAPSHOT_UNREADABLE',
          context: expect.objectContaining({ version: 2, supportedVersion: 1 }),
        }),
      );
      expect(() => decodePartitionClock(identity, valid)).toThrow(
        SnapshotUnreadableError,
      );
    });

    it('a values slot that is not JSON', () => {
      const numeric = stateIdentity('values', 0, 1);
      const bytes = encodeKeyState(numeric, {
        key: 'k',
        windows: [
          {
            start: 0,
            end: 1,
            scheduledAt: 1,
            scheduleSequence: 1,
            numbers: [],
            firstSlot: 0,
            values: ['abc'],
            lastUpdateAt: -Infinity,
            updatePending: false,
            throttleSequence: 0,
          },
        ],
        lastClosed: null,
      });
      // The JSON text '["abc"]' ends the record; break its closing bracket.
      bytes[bytes.length - 1] = 0x7b;
      expect(() => decodeKeyState(numeric, bytes)).toThrow(
        /windows\[0\]\.values is not UTF-8 JSON/,
      );
    });
  });
});

describe('changelog across an engine restart', () => {
  it('gives the uninterrupted output', () => {
    const events = [3, 1, 12, 7, 25, 14, 31, 30, 18, 44, 52, 41, 60, 75].map(
      (time, index) => reading(index % 3 === 0 ? 'a' : 'b', time, index),
    );
    const engine = () =>
      createTestEngine(session(6).grace(2), {
        watermark: { maxOutOfOrderness: 10 },
        emit: { mode: 'update', throttle: 3 },
      });
    const uninterrupted = engine().process(0, events);
    for (let cut = 0; cut <= events.length; cut++) {
      const before = engine();
      const output = collect(
        emptyRun(),
        before.process(0, events.slice(0, cut)),
      );
      const changelog = new ChangelogModel<string>();
      changelog.commit(before);
      const after = engine();
      changelog.restoreInto(after, cut);
      collect(output, after.process(0, events.slice(cut)));
      expect(output).toEqual(uninterrupted);
    }
  });
});

function decodeClockFixture(): PartitionClock {
  return {
    partition: 0,
    maxEventTime: 0,
    closingWatermark: 0,
    arrivals: 0,
    counters: { eventsProcessed: 0, lateEvents: 0, resultsEmitted: 0 },
    scheduleSequence: 0,
    throttleSequence: 0,
  };
}
