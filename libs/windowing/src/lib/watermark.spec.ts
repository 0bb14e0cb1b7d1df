import { tumbling } from '../index';
import { createTestEngine, reading } from '../testing/fixtures';

describe('watermarks', () => {
  it('are the max event time seen minus maxOutOfOrderness and never go backwards', () => {
    const engine = createTestEngine(tumbling(10), {
      watermark: { maxOutOfOrderness: 3 },
    });
    expect(engine.watermark()).toBe(-Infinity);
    expect(engine.watermark(0)).toBe(-Infinity);
    engine.process(0, [reading('a', 50)], 0);
    expect(engine.watermark(0)).toBe(47);
    engine.process(0, [reading('a', 20), reading('a', 48), reading('a', 1)], 0);
    expect(engine.watermark(0)).toBe(47);
    expect(engine.watermark()).toBe(47);
  });

  it('combine as the minimum over partitions: a window closes only when every active partition has passed it', () => {
    const engine = createTestEngine(tumbling(10));
    engine.process(1, [reading('b', 3)], 0);
    engine.process(0, [reading('a', 5)], 0);
    expect(engine.process(0, [reading('a', 25)], 0).results).toEqual([]);
    expect(engine.watermark()).toBe(3);
    const { results } = engine.process(1, [reading('b', 12)], 0);
    expect(results.map(({ key, partition }) => ({ key, partition }))).toEqual([
      { key: 'a', partition: 0 },
      { key: 'b', partition: 1 },
    ]);
    expect(engine.watermark()).toBe(12);
  });

  it('stop being held back by a partition idle for longer than idleTimeout (processing time from the caller)', () => {
    const engine = createTestEngine(tumbling(10), {
      watermark: { idleTimeout: '1s' },
    });
    engine.process(1, [reading('b', 3)], 1_000);
    engine.process(0, [reading('a', 5)], 1_000);
    expect(engine.process(0, [reading('a', 25)], 2_000).results).toEqual([]); // exactly the timeout: still active
    expect(
      engine.stats().partitions.map((partition) => partition.idle),
    ).toEqual([false, false]);

    const { results } = engine.process(0, [], 2_001); // an empty batch is a clock tick
    expect(
      results.map(({ key, windowStart }) => ({ key, windowStart })),
    ).toEqual([
      { key: 'a', windowStart: 0 },
      { key: 'b', windowStart: 0 },
    ]);
    expect(
      engine.stats().partitions.map((partition) => partition.idle),
    ).toEqual([false, true]);
    expect(engine.watermark()).toBe(25);
  });

  it('hold when a resumed partition lags: its events for already closed windows are late', () => {
    const engine = createTestEngine(tumbling(10), {
      watermark: { idleTimeout: 100 },
    });
    engine.process(1, [reading('b', 3)], 0);
    engine.process(0, [reading('a', 40)], 500);
    expect(engine.watermark()).toBe(40);
    const straggler = reading('b', 4);
    const { late } = engine.process(1, [straggler, reading('b', 45)], 600);
    expect(late.map((record) => record.event)).toEqual([straggler]);
    expect(engine.watermark()).toBe(40);
    engine.process(1, [reading('b', 50)], 600);
    expect(engine.watermark()).toBe(40); // partition 0 is active again at 40
  });

  it('hold while every partition is idle', () => {
    const engine = createTestEngine(tumbling(10), {
      watermark: { idleTimeout: 10 },
    });
    engine.process(0, [reading('a', 30)], 0);
    engine.process(0, [], 1_000);
    expect(engine.watermark()).toBe(30);
    expect(engine.stats().partitions[0].idle).toBe(true);
  });

  it('do not reopen closed windows for a partition that joins later', () => {
    const engine = createTestEngine(tumbling(10));
    engine.process(0, [reading('a', 30)], 0);
    const old = reading('b', 5);
    const { late } = engine.process(1, [old], 0);
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

  it('keep the combined watermark when a partition is revoked', () => {
    const engine = createTestEngine(tumbling(10));
    engine.process(0, [reading('a', 30)], 0);
    engine.process(1, [reading('b', 50)], 0);
    expect(engine.watermark()).toBe(30);
    engine.revoke(1);
    engine.revoke(7); // unknown partitions are ignored
    expect(engine.watermark()).toBe(30);
    expect(
      engine.stats().partitions.map((partition) => partition.partition),
    ).toEqual([0]);
  });

  it("close each partition's windows on its own watermark with closeWindowsOn: 'partition'", () => {
    const engine = createTestEngine(tumbling(10), {
      watermark: { closeWindowsOn: 'partition' },
    });
    engine.process(1, [reading('b', 3)], 0);
    engine.process(0, [reading('a', 5)], 0);
    const { results } = engine.process(0, [reading('a', 25)], 0);
    expect(
      results.map(({ key, windowStart }) => ({ key, windowStart })),
    ).toEqual([{ key: 'a', windowStart: 0 }]);
    expect(engine.watermark()).toBe(3);
  });
});
