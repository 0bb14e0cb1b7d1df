import { session } from '../index';
import {
  createTestEngine,
  finalsOf,
  reading,
  type TestEngine,
} from '../testing/fixtures';

function sessionsOf(engine: TestEngine, clock: number) {
  return finalsOf(engine.process(0, [reading('zz-clock', clock)]))
    .filter((result) => result.key !== 'zz-clock')
    .map(({ key, windowStart, windowEnd, values }) => ({
      key,
      windowStart,
      windowEnd,
      count: values.count,
    }));
}

describe('session windows', () => {
  it('span [first event, last event + gap) and close at end + grace', () => {
    const engine = createTestEngine(session('30s').grace('5s'));
    engine.process(
      0,
      [reading('a', 0), reading('a', 10_000), reading('a', 25_000)],
    );
    expect(engine.process(0, [reading('b', 59_999)]).results).toEqual([]);
    const { results } = engine.process(0, [reading('b', 60_000)]);
    expect(
      results.map(({ windowStart, windowEnd }) => [windowStart, windowEnd]),
    ).toEqual([[0, 55_000]]);
  });

  it('split when two events are exactly gap apart (half-open sessions)', () => {
    const engine = createTestEngine(session(10), {
      watermark: { maxOutOfOrderness: 20 },
    });
    engine.process(0, [reading('a', 0), reading('a', 10)]);
    expect(sessionsOf(engine, 100)).toEqual([
      { key: 'a', windowStart: 0, windowEnd: 10, count: 1 },
      { key: 'a', windowStart: 10, windowEnd: 20, count: 1 },
    ]);
  });

  it('merge two sessions when an out-of-order event bridges them, combining their aggregates', () => {
    const engine = createTestEngine(session(10), {
      watermark: { maxOutOfOrderness: 50 },
    });
    const early = reading('a', 0, 1);
    const bridge = reading('a', 9, 5);
    const later = reading('a', 18, 3);
    engine.process(0, [early, later]);
    expect(engine.stats().partitions[0].openWindows).toBe(2);
    engine.process(0, [bridge]);
    expect(engine.stats().partitions[0].openWindows).toBe(1);
    const [merged] = finalsOf(engine.process(0, [reading('zz-clock', 200)]));
    expect(merged).toMatchObject({ key: 'a', windowStart: 0, windowEnd: 28 });
    expect(merged.values).toMatchObject({
      count: 3,
      sum: 9,
      min: 1,
      max: 5,
      first: early.id,
      last: later.id,
      trend: 'stable',
    });
  });

  it('extend a session backwards with an out-of-order event', () => {
    const engine = createTestEngine(session(10), {
      watermark: { maxOutOfOrderness: 20 },
    });
    engine.process(0, [reading('a', 30), reading('a', 22)]);
    expect(sessionsOf(engine, 200)).toEqual([
      { key: 'a', windowStart: 22, windowEnd: 40, count: 2 },
    ]);
  });

  it('keep keys apart', () => {
    const engine = createTestEngine(session(10));
    engine.process(0, [reading('a', 0), reading('b', 5), reading('a', 8)]);
    expect(sessionsOf(engine, 100)).toEqual([
      { key: 'b', windowStart: 5, windowEnd: 15, count: 1 },
      { key: 'a', windowStart: 0, windowEnd: 18, count: 2 },
    ]);
  });

  it('report an event late when it would extend a session that already closed', () => {
    const engine = createTestEngine(session(10), {
      watermark: { maxOutOfOrderness: 5 },
    });
    engine.process(0, [reading('a', 0)]);
    engine.process(0, [reading('b', 15)]); // watermark 10 closes [0, 10)
    const straggler = reading('a', 6); // its own session [6, 16) would still be open
    const { late } = engine.process(0, [straggler]);
    expect(late).toEqual([
      {
        event: straggler,
        partition: 0,
        windowStart: 6,
        windowEnd: 16,
        watermark: 10,
        reason: 'window-closed',
      },
    ]);
  });

  it('report an event late when it would bridge a closed session and an open one', () => {
    const engine = createTestEngine(session(10), {
      watermark: { maxOutOfOrderness: 12 },
    });
    engine.process(0, [reading('a', 0), reading('a', 20)]);
    engine.process(0, [reading('b', 22)]); // watermark 10: [0, 10) closed, [20, 30) open
    const bridge = reading('a', 9);
    expect(
      engine.process(0, [bridge]).late.map((record) => record.event),
    ).toEqual([bridge]);
    expect(
      sessionsOf(engine, 200).filter((window) => window.key === 'a'),
    ).toEqual([{ key: 'a', windowStart: 20, windowEnd: 30, count: 1 }]);
  });

  it('report an event late once its own session is past end + grace, even if it overlaps an open session', () => {
    const engine = createTestEngine(session(10), {
      watermark: { maxOutOfOrderness: 20 },
    });
    engine.process(0, [reading('a', 18), reading('b', 40)]); // watermark 20; [18, 28) open
    const tooOld = reading('a', 9); // [9, 19) closed at 19
    expect(engine.process(0, [tooOld]).late).toEqual([
      {
        event: tooOld,
        partition: 0,
        windowStart: 9,
        windowEnd: 19,
        watermark: 20,
        reason: 'window-closed',
      },
    ]);
    expect(engine.process(0, [reading('a', 11)]).late).toEqual([]); // [11, 21) still open: joins
    expect(
      sessionsOf(engine, 200).filter((window) => window.key === 'a'),
    ).toEqual([{ key: 'a', windowStart: 11, windowEnd: 28, count: 2 }]);
  });

  it('forget a closed session once no on-time event can reach it', () => {
    const engine = createTestEngine(session(10));
    engine.process(0, [reading('a', 0)]);
    engine.process(0, [reading('b', 10)]); // closes [0, 10)
    expect(engine.stats().partitions[0].openWindows).toBe(1);
    engine.process(0, [reading('b', 20)]); // tombstone of 'a' expires at 10 + gap
    const snapshot = new TextDecoder().decode(engine.snapshot(0));
    expect(JSON.parse(snapshot).closedSessions).toEqual([['b', 10, 20]]);
  });
});
