import { hopping, tumbling } from '../index';
import { createTestEngine, finalsOf, reading } from '../testing/fixtures';

const MINUTE = 60_000;

function windowsOf(
  results: ReadonlyArray<{
    key: string;
    windowStart: number;
    windowEnd: number;
    values: { count: number };
  }>,
) {
  return results.map(({ key, windowStart, windowEnd, values }) => ({
    key,
    windowStart,
    windowEnd,
    count: values.count,
  }));
}

describe('tumbling windows', () => {
  it('are half-open: an event exactly at a boundary belongs to the window that starts there', () => {
    const engine = createTestEngine(tumbling('1m'));
    const { results } = engine.process(
      0,
      [
        reading('a', MINUTE - 1),
        reading('a', MINUTE),
        reading('a', 3 * MINUTE),
      ],
    );
    expect(windowsOf(results)).toEqual([
      { key: 'a', windowStart: 0, windowEnd: MINUTE, count: 1 },
      { key: 'a', windowStart: MINUTE, windowEnd: 2 * MINUTE, count: 1 },
    ]);
  });

  it('are aligned to the epoch, shifted by the offset', () => {
    const engine = createTestEngine(tumbling('1h').offset('15m'));
    engine.process(0, [reading('a', Date.UTC(2024, 0, 1, 10, 20))]);
    const { results } = engine.process(
      0,
      [reading('a', Date.UTC(2024, 0, 1, 12, 0))],
    );
    expect(results[0]).toMatchObject({
      windowStart: Date.UTC(2024, 0, 1, 10, 15),
      windowEnd: Date.UTC(2024, 0, 1, 11, 15),
    });
  });

  it('handle event times before the epoch', () => {
    const engine = createTestEngine(tumbling(10));
    engine.process(0, [reading('a', -15)]);
    const { results } = engine.process(0, [reading('a', 100)]);
    expect(windowsOf(results)).toEqual([
      { key: 'a', windowStart: -20, windowEnd: -10, count: 1 },
    ]);
  });

  it('close exactly when the watermark reaches end + grace, not a millisecond earlier', () => {
    const engine = createTestEngine(tumbling('1m').grace('10s'));
    engine.process(0, [reading('a', 30_000)]);
    expect(
      engine.process(0, [reading('b', MINUTE + 9_999)]).results,
    ).toEqual([]);
    const { results } = engine.process(0, [reading('b', MINUTE + 10_000)]);
    expect(windowsOf(results)).toEqual([
      { key: 'a', windowStart: 0, windowEnd: MINUTE, count: 1 },
    ]);
    expect(results[0].final).toBe(true);
  });

  it('accept events during grace, and report an event late by 1 ms with its window and the watermark', () => {
    const engine = createTestEngine(tumbling('1m').grace('10s'));
    engine.process(0, [reading('a', 10_000), reading('b', MINUTE + 9_999)]);
    const duringGrace = reading('a', MINUTE - 1);
    expect(engine.process(0, [duringGrace]).late).toEqual([]);
    const closing = engine.process(0, [reading('b', MINUTE + 10_000)]);
    expect(closing.results[0].values.count).toBe(2);

    const lateByOneMs = reading('a', MINUTE - 1);
    const { late, results } = engine.process(0, [lateByOneMs]);
    expect(results).toEqual([]);
    expect(late).toEqual([
      {
        event: lateByOneMs,
        partition: 0,
        windowStart: 0,
        windowEnd: MINUTE,
        watermark: MINUTE + 10_000,
        reason: 'window-closed',
      },
    ]);
    expect(engine.stats().partitions[0]).toMatchObject({
      eventsProcessed: 5,
      lateEvents: 1,
    });
  });

  it('accept out-of-order events within maxOutOfOrderness', () => {
    const engine = createTestEngine(tumbling(10), {
      watermark: { maxOutOfOrderness: 5 },
    });
    const out = engine.process(
      0,
      [reading('a', 14), reading('a', 9), reading('a', 15), reading('a', 8)],
    );
    expect(windowsOf(out.results)).toEqual([
      { key: 'a', windowStart: 0, windowEnd: 10, count: 1 },
    ]);
    expect(out.late.map((record) => record.event.time)).toEqual([8]);
    expect(engine.watermark(0)).toBe(10);
  });

  it('keep one window per key and close all keys of a window in arrival order', () => {
    const engine = createTestEngine(tumbling(10));
    engine.process(
      0,
      [reading('b', 1), reading('a', 2), reading('b', 3), reading('c', 4)],
    );
    const { results } = engine.process(0, [reading('z', 10)]);
    expect(windowsOf(results)).toEqual([
      { key: 'b', windowStart: 0, windowEnd: 10, count: 2 },
      { key: 'a', windowStart: 0, windowEnd: 10, count: 1 },
      { key: 'c', windowStart: 0, windowEnd: 10, count: 1 },
    ]);
    expect(engine.stats().partitions[0].openWindows).toBe(1);
  });

  it('count duplicates as given (at-least-once input is not deduplicated)', () => {
    const engine = createTestEngine(tumbling(10));
    const event = reading('a', 1, 4);
    engine.process(0, [event, event]);
    const { results } = engine.process(0, [reading('a', 20)]);
    expect(results[0].values).toMatchObject({ count: 2, sum: 8 });
  });
});

describe('hopping windows', () => {
  it('put each event into size/advance overlapping windows', () => {
    const engine = createTestEngine(hopping('5m', '1m'));
    engine.process(0, [reading('a', 4.5 * MINUTE)]);
    const { results } = finalsAfter(engine, 20 * MINUTE);
    expect(
      results.map((result) => [
        result.windowStart / MINUTE,
        result.windowEnd / MINUTE,
      ]),
    ).toEqual([
      [0, 5],
      [1, 6],
      [2, 7],
      [3, 8],
      [4, 9],
    ]);
  });

  it('treat a boundary event as the start of its windows and outside the windows ending there', () => {
    const engine = createTestEngine(hopping(10, 5));
    engine.process(0, [reading('a', 10)]);
    const { results } = finalsAfter(engine, 100);
    expect(results.map((result) => result.windowStart)).toEqual([5, 10]);
  });

  it('report an event late only for the windows that already closed', () => {
    const engine = createTestEngine(hopping(10, 5));
    engine.process(0, [reading('a', 11)]);
    const straggler = reading('a', 9);
    const { late } = engine.process(0, [straggler]);
    expect(
      late.map((record) => [record.windowStart, record.windowEnd]),
    ).toEqual([[0, 10]]);
    const { results } = finalsAfter(engine, 100);
    expect(
      results.map((result) => [result.windowStart, result.values.count]),
    ).toEqual([
      [5, 2],
      [10, 1],
    ]);
    expect(engine.stats().partitions[0].lateEvents).toBe(1);
  });

  it('support advances that do not divide the size', () => {
    const engine = createTestEngine(hopping(10, 4));
    engine.process(0, [reading('a', 9)]);
    const { results } = finalsAfter(engine, 100);
    expect(
      results.map((result) => [result.windowStart, result.windowEnd]),
    ).toEqual([
      [0, 10],
      [4, 14],
      [8, 18],
    ]);
  });
});

function finalsAfter(
  engine: ReturnType<typeof createTestEngine>,
  watermark: number,
) {
  const output = engine.process(0, [reading('zz-clock', watermark)]);
  return {
    results: finalsOf(output).filter((result) => result.key !== 'zz-clock'),
    late: output.late,
  };
}
