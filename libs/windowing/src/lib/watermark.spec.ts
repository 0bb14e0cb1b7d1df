import { createWindowingEngine, count, InvalidConfigError, tumbling } from '../index';
import { createTestEngine, reading } from '../testing/fixtures';

describe('watermarks', () => {
  it('are the max event time seen minus maxOutOfOrderness and never go backwards', () => {
    const engine = createTestEngine(tumbling(10), {
      watermark: { maxOutOfOrderness: 3 },
    });
    expect(engine.watermark(0)).toBe(-Infinity);
    engine.process(0, [reading('a', 50)]);
    expect(engine.watermark(0)).toBe(47);
    engine.process(0, [reading('a', 20), reading('a', 48), reading('a', 1)]);
    expect(engine.watermark(0)).toBe(47);
  });

  it("close each partition's windows on its own watermark: another partition neither holds them back nor closes them", () => {
    const engine = createTestEngine(tumbling(10));
    engine.process(1, [reading('b', 3)]);
    engine.process(0, [reading('a', 5)]);
    const { results } = engine.process(0, [reading('a', 25)]);
    expect(
      results.map(({ key, windowStart }) => ({ key, windowStart })),
    ).toEqual([{ key: 'a', windowStart: 0 }]);
    expect(engine.watermark(1)).toBe(3);
    expect(engine.stats().partitions.map((p) => p.openWindows)).toEqual([1, 1]);
  });

  it('make an event late only against its own partition: a partition far behind another loses nothing', () => {
    const engine = createTestEngine(tumbling(10));
    // Partition 0 runs far ahead (one category replayed first) ...
    engine.process(0, [reading('a', 5), reading('a', 1_000)]);
    // ... partition 1 starts at the beginning of time and is on time throughout.
    const { late, results } = engine.process(1, [reading('b', 5), reading('b', 15)]);
    expect(late).toEqual([]);
    expect(results.map(({ key, windowStart }) => ({ key, windowStart }))).toEqual([
      { key: 'b', windowStart: 0 },
    ]);
  });

  it("judge lateness by the partition's closing watermark and report it", () => {
    const engine = createTestEngine(tumbling(10));
    engine.process(1, [reading('b', 30)]);
    const old = reading('b', 5);
    const { late } = engine.process(1, [old]);
    expect(late).toEqual([
      {
        event: old,
        partition: 1,
        windowStart: 0,
        windowEnd: 10,
        watermark: 30,
        reason: 'window-closed',
      },
    ]);
  });

  it('an empty batch changes nothing (there is no processing-time clock)', () => {
    const engine = createTestEngine(tumbling(10));
    engine.process(0, [reading('a', 5)]);
    expect(engine.process(0, [])).toEqual({ results: [], late: [] });
    expect(engine.process(3, [])).toEqual({ results: [], late: [] });
    expect(engine.stats().partitions.map((p) => p.partition)).toEqual([0]);
  });

  it('keep the other partitions when one is revoked', () => {
    const engine = createTestEngine(tumbling(10));
    engine.process(0, [reading('a', 30)]);
    engine.process(1, [reading('b', 50)]);
    engine.revoke(1);
    engine.revoke(7); // unknown partitions are ignored
    expect(engine.watermark(0)).toBe(30);
    expect(engine.watermark(1)).toBe(-Infinity);
    expect(
      engine.stats().partitions.map((partition) => partition.partition),
    ).toEqual([0]);
  });

  it.each(['idleTimeout', 'closeWindowsOn'])(
    'refuse the removed option %s instead of silently ignoring it',
    (option) => {
      const watermark = { [option]: option === 'idleTimeout' ? '1m' : 'combined' };
      expect(() =>
        createWindowingEngine({
          eventTime: (event: number) => event,
          key: () => 'k',
          window: tumbling(1),
          aggregates: { count: count() },
          watermark,
        }),
      ).toThrow(InvalidConfigError);
    },
  );
});
