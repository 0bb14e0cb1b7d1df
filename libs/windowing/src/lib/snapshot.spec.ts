import {
  count,
  createWindowingEngine,
  first,
  hopping,
  max,
  PartitionConflictError,
  session,
  SNAPSHOT_FORMAT,
  SNAPSHOT_VERSION,
  SnapshotMismatchError,
  SnapshotUnreadableError,
  tumbling,
  type WindowSpec,
} from '../index';
import { runBatches } from '../testing/drivers';
import {
  createTestEngine,
  type EngineOptions,
  reading,
  type Reading,
} from '../testing/fixtures';

function stream(): Reading[] {
  return [3, 1, 12, 7, 25, 14, 31, 30, 18, 44, 52, 41, 60, 75, 58, 90].map(
    (time, index) => reading(index % 3 === 0 ? 'a' : 'b', time, index),
  );
}

describe('snapshots', () => {
  const cases: ReadonlyArray<[string, WindowSpec, EngineOptions]> = [
    [
      'tumbling, final',
      tumbling(10).grace(3),
      { watermark: { maxOutOfOrderness: 5 } },
    ],
    [
      'hopping, update',
      hopping(20, 5),
      {
        watermark: { maxOutOfOrderness: 8 },
        emit: { mode: 'update', throttle: 4 },
      },
    ],
    [
      'session, update',
      session(6).grace(2),
      {
        watermark: { maxOutOfOrderness: 10 },
        emit: { mode: 'update', throttle: 3 },
      },
    ],
  ];

  it.each(cases)(
    'restored mid-stream and replayed from the offset give the uninterrupted output (%s)',
    (_name, spec, options) => {
      const events = stream();
      const engine = (): ReturnType<typeof createTestEngine> =>
        createTestEngine(spec, options);
      const uninterrupted = runBatches(engine, events);
      for (let offset = 0; offset <= events.length; offset++) {
        const crashAfter = Math.min(offset + 2, events.length - 1);
        const cuts = events.map((_event, index) => index);
        expect(
          runBatches(engine, events, cuts, {
            checkpointBefore: [offset],
            crashAfter: [crashAfter],
          }),
        ).toEqual(uninterrupted);
      }
    },
  );

  it('carry watermarks, counters and open windows to another engine', () => {
    const source = createTestEngine(tumbling(10), {
      watermark: { maxOutOfOrderness: 2 },
    });
    source.process(
      4,
      [reading('a', 5), reading('a', 15), reading('a', 1)],
    );
    const target = createTestEngine(tumbling(10), {
      watermark: { maxOutOfOrderness: 2 },
    });
    target.restore(4, source.snapshot(4));
    expect(target.stats().partitions).toEqual(source.stats().partitions);
    expect(target.watermark(4)).toBe(13);
    expect(target.stats().totals).toEqual({
      eventsProcessed: 0,
      lateEvents: 0,
      resultsEmitted: 0,
    });
  });

  it('are versioned UTF-8 JSON bytes', () => {
    const engine = createTestEngine(tumbling(10));
    engine.process(0, [reading('a', 5)]);
    const bytes = engine.snapshot(0);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(JSON.parse(new TextDecoder().decode(bytes))).toMatchObject({
      format: SNAPSHOT_FORMAT,
      version: SNAPSHOT_VERSION,
      partition: 0,
    });
  });

  it('of a partition without events restore as empty state', () => {
    const engine = createTestEngine(tumbling(10));
    const restored = createTestEngine(tumbling(10));
    restored.restore(2, engine.snapshot(2));
    expect(restored.stats().partitions).toEqual([
      expect.objectContaining({
        partition: 2,
        openWindows: 0,
        eventsProcessed: 0,
        watermark: -Infinity,
      }),
    ]);
  });

  it('keep non-finite numbers and non-numeric first/last values', () => {
    const pipeline = () =>
      createWindowingEngine({
        eventTime: (event: { time: number; value: number; label: string }) =>
          event.time,
        key: () => 'k',
        window: tumbling(10),
        aggregates: {
          peak: max((event: { value: number }) => event.value),
          label: first((event: { label: string }) => event.label),
          n: count(),
        },
      });
    const source = pipeline();
    source.process(0, [{ time: 1, value: Infinity, label: 'x' }]);
    const target = pipeline();
    target.restore(0, source.snapshot(0));
    expect(
      target.process(0, [{ time: 20, value: 0, label: 'y' }]).results[0]
        .values,
    ).toEqual({ peak: Infinity, label: 'x', n: 1 });
  });

  describe('are refused with a typed error when', () => {
    const engine = createTestEngine(tumbling(10));
    engine.process(0, [reading('a', 5)]);
    const valid = engine.snapshot(0);
    const rewrite = (
      change: (document: Record<string, unknown>) => void,
    ): Uint8Array => {
      const document = JSON.parse(new TextDecoder().decode(valid));
      change(document);
      return new TextEncoder().encode(JSON.stringify(document));
    };

    it('the bytes are not a snapshot', () => {
      expect(() =>
        createTestEngine(tumbling(10)).restore(0, new Uint8Array([0xff, 0x00])),
      ).toThrow(SnapshotUnreadableError);
      expect(() =>
        createTestEngine(tumbling(10)).restore(
          0,
          new TextEncoder().encode('[]'),
        ),
      ).toThrow(SnapshotUnreadableError);
    });

    it('the version is unknown', () => {
      const future = rewrite(
        (document) => (document['version'] = SNAPSHOT_VERSION + 1),
      );
      expect(() => createTestEngine(tumbling(10)).restore(0, future)).toThrow(
        expect.objectContaining({
          code: 'SNAPSHOT_UNREADABLE',
          context: expect.objectContaining({ version: SNAPSHOT_VERSION + 1 }),
        }),
      );
    });

    it('a field is malformed, naming the field', () => {
      const broken = rewrite(
        (document) =>
          (document['windows'] = [['a', 0, 10, 10, [1], [], 0, false]]),
      );
      expect(() => createTestEngine(tumbling(10)).restore(0, broken)).toThrow(
        expect.objectContaining({
          context: expect.objectContaining({ path: 'windows[0].numbers' }),
        }),
      );
    });

    it('it was taken for another partition', () => {
      expect(() => createTestEngine(tumbling(10)).restore(1, valid)).toThrow(
        SnapshotMismatchError,
      );
    });

    it('it was taken with another window layout or other aggregates', () => {
      expect(() => createTestEngine(tumbling(20)).restore(0, valid)).toThrow(
        SnapshotMismatchError,
      );
      const fewerAggregates = createWindowingEngine({
        eventTime: (event: Reading) => event.time,
        key: (event) => event.key,
        window: tumbling(10),
        aggregates: { count: count() },
      });
      expect(() => fewerAggregates.restore(0, valid)).toThrow(
        SnapshotMismatchError,
      );
    });

    it('the partition already holds state, until it is revoked', () => {
      const live = createTestEngine(tumbling(10));
      live.process(0, [reading('a', 1)]);
      expect(() => live.restore(0, valid)).toThrow(PartitionConflictError);
      live.revoke(0);
      live.restore(0, valid);
      expect(live.stats().partitions[0].openWindows).toBe(1);
    });
  });
});
