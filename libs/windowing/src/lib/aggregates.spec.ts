import {
  avg,
  count,
  createWindowingEngine,
  first,
  InvalidConfigError,
  last,
  max,
  min,
  session,
  stddev,
  sum,
  trend,
  tumbling,
} from '../index';
import {
  createTestEngine,
  reading,
  type Reading,
  type TestEngine,
} from '../testing/fixtures';

function closeAll(engine: TestEngine, events: Reading[]) {
  engine.process(0, events);
  return engine
    .process(0, [reading('zz-clock', 1_000_000)])
    .results.filter((result) => result.key !== 'zz-clock');
}

describe('aggregates', () => {
  it('compute count, sum, min, max, avg and population stddev per window and key', () => {
    const [window] = closeAll(createTestEngine(tumbling(100)), [
      reading('a', 1, 2),
      reading('a', 2, 4),
      reading('a', 3, 4),
      reading('a', 4, 4),
      reading('a', 5, 5),
      reading('a', 6, 5),
      reading('a', 7, 7),
      reading('a', 8, 9),
    ]);
    expect(window.values).toMatchObject({
      count: 8,
      sum: 40,
      min: 2,
      max: 9,
      avg: 5,
    });
    expect(window.values.stddev).toBeCloseTo(2, 12);
  });

  it('take first and last by event time, not arrival, breaking ties by arrival order', () => {
    const tiedEarly = reading('a', 10, 0);
    const tiedEarlyAgain = reading('a', 10, 0);
    const tiedLate = reading('a', 50, 0);
    const tiedLateAgain = reading('a', 50, 0);
    const [window] = closeAll(
      createTestEngine(tumbling(100), {
        watermark: { maxOutOfOrderness: 100 },
      }),
      [reading('a', 30), tiedLate, tiedEarly, tiedLateAgain, tiedEarlyAgain],
    );
    expect(window.values.first).toBe(tiedEarly.id);
    expect(window.values.last).toBe(tiedLateAgain.id);
  });

  it.each([
    [[10, 13], 'increasing'],
    [[10, 7], 'decreasing'],
    [[10, 12], 'stable'],
    [[10, 8], 'stable'],
  ] as const)(
    'report trend %j as %s with tolerance 2',
    ([firstValue, lastValue], expected) => {
      const [window] = closeAll(
        createTestEngine(tumbling(100), {
          watermark: { maxOutOfOrderness: 100 },
        }),
        [
          reading('a', 50, lastValue),
          reading('a', 20, 100),
          reading('a', 10, firstValue),
        ],
      );
      expect(window.values.trend).toBe(expected);
    },
  );

  it('merge every aggregate when sessions merge', () => {
    const events = [
      reading('a', 0, 3),
      reading('a', 20, 9),
      reading('a', 21, -1),
      reading('a', 10, 5),
    ];
    const [merged] = closeAll(
      createTestEngine(session(11), { watermark: { maxOutOfOrderness: 50 } }),
      events,
    );
    expect(merged.values).toMatchObject({
      count: 4,
      sum: 16,
      min: -1,
      max: 9,
      avg: 4,
      first: events[0].id,
      last: events[2].id,
      trend: 'decreasing',
    });
    expect(merged.values.stddev).toBeCloseTo(
      Math.sqrt((1 + 25 + 25 + 1) / 4),
      12,
    );
  });

  it('work on any field of the event, several per window', () => {
    interface Trade {
      readonly symbol: string;
      readonly at: number;
      readonly price: number;
      readonly quantity: number;
    }
    const engine = createWindowingEngine({
      eventTime: (trade: Trade) => trade.at,
      key: (trade) => trade.symbol,
      window: tumbling(10),
      aggregates: {
        trades: count(),
        volume: sum((trade: Trade) => trade.quantity),
        low: min((trade: Trade) => trade.price),
        high: max((trade: Trade) => trade.price),
        meanPrice: avg((trade: Trade) => trade.price),
        spread: stddev((trade: Trade) => trade.price),
        open: first((trade: Trade) => trade.price),
        close: last((trade: Trade) => trade.price),
      },
    });
    engine.process(
      0,
      [
        { symbol: 'X', at: 1, price: 10, quantity: 5 },
        { symbol: 'X', at: 2, price: 12, quantity: 1 },
      ],
    );
    const [result] = engine.process(
      0,
      [{ symbol: 'X', at: 10, price: 0, quantity: 0 }],
    ).results;
    expect(result.values).toEqual({
      trades: 2,
      volume: 6,
      low: 10,
      high: 12,
      meanPrice: 11,
      spread: 1,
      open: 10,
      close: 12,
    });
  });

  it('are validated when the engine is created', () => {
    const base = {
      eventTime: (event: Reading) => event.time,
      key: (event: Reading) => event.key,
      window: tumbling(10),
    };
    expect(() => createWindowingEngine({ ...base, aggregates: {} })).toThrow(
      InvalidConfigError,
    );
    expect(() =>
      trend((event: Reading) => event.value, { tolerance: -1 }),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONFIG',
        context: { tolerance: -1 },
      }),
    );
  });
});
