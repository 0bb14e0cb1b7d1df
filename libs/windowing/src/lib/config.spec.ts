import {
  count,
  createWindowingEngine,
  hopping,
  InvalidArgumentError,
  InvalidConfigError,
  InvalidDurationError,
  InvalidEventTimeError,
  session,
  toMillis,
  tumbling,
  WindowingError,
} from '../index';
import { createTestEngine, reading } from '../testing/fixtures';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['1m', 60_000],
    ['4h', 14_400_000],
    ['1d', 86_400_000],
    ['1.5s', 1_500],
    [250, 250],
    [0, 0],
  ] as const)('%j is %d ms', (duration, millis) => {
    expect(toMillis(duration)).toBe(millis);
  });

  it.each(['10', '1 m', '-1s', '1w', '', 's'])(
    'rejects %j with the offending value in the context',
    (text) => {
      // The type admits only well-formed literals; untyped input still reaches runtime.
      expect(() => toMillis(text as '1s', 'grace')).toThrow(
        expect.objectContaining({
          code: 'INVALID_DURATION',
          context: { name: 'grace', value: text },
        }),
      );
    },
  );

  it.each([-1, NaN, Infinity])('rejects the number %d', (value) => {
    expect(() => toMillis(value)).toThrow(InvalidDurationError);
  });
});

describe('window specs', () => {
  it('are immutable values', () => {
    const base = tumbling('1m');
    const withGrace = base.grace('10s');
    expect(base.graceMs).toBe(0);
    expect(withGrace).toMatchObject({
      kind: 'tumbling',
      sizeMs: 60_000,
      advanceMs: 60_000,
      graceMs: 10_000,
    });
    expect(hopping('5m', '1m').offset('90s')).toMatchObject({
      kind: 'hopping',
      advanceMs: 60_000,
      offsetMs: 30_000,
    });
    expect(session('30s').grace('1s')).toMatchObject({
      kind: 'session',
      gapMs: 30_000,
      graceMs: 1_000,
    });
  });

  it('reject sizes, advances and gaps of zero and advances larger than the size', () => {
    expect(() => tumbling(0)).toThrow(InvalidDurationError);
    expect(() => session('0s')).toThrow(InvalidDurationError);
    expect(() => hopping('1m', '2m')).toThrow(InvalidConfigError);
  });
});

describe('engine input validation', () => {
  it('rejects a batch with an invalid event time before changing any state', () => {
    const engine = createTestEngine(tumbling(10));
    const broken = { ...reading('a', 2), time: Number.NaN };
    let thrown: unknown;
    try {
      engine.process(0, [reading('a', 1), broken, reading('a', 30)]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidEventTimeError);
    expect(thrown).toBeInstanceOf(WindowingError);
    expect(thrown).toMatchObject({
      code: 'INVALID_EVENT_TIME',
      context: { partition: 0, index: 1 },
    });
    expect(engine.stats().partitions).toEqual([]);
    expect(engine.watermark(0)).toBe(-Infinity);
  });

  it.each([-1, 1.5, NaN])('rejects partition %d', (partition) => {
    expect(() =>
      createTestEngine(tumbling(10)).process(partition, []),
    ).toThrow(InvalidArgumentError);
  });

  it('treats an empty batch of an unknown partition as nothing (no state created)', () => {
    const engine = createTestEngine(tumbling(10));
    expect(engine.process(3, [])).toEqual({ results: [], late: [] });
    expect(engine.stats().partitions).toEqual([]);
  });

  it('rejects an incomplete pipeline definition', () => {
    expect(() =>
      createWindowingEngine({
        eventTime: undefined as unknown as (event: number) => number,
        key: () => 'k',
        window: tumbling(1),
        aggregates: { count: count() },
      }),
    ).toThrow(InvalidConfigError);
    expect(() =>
      createWindowingEngine({
        eventTime: (event: number) => event,
        key: () => 'k',
        window: tumbling(1),
        aggregates: { count: count() },
        watermark: { maxOutOfOrderness: '-1s' as '1s' },
      }),
    ).toThrow(InvalidDurationError);
  });

  it('counts events, late events and results per partition and in total', () => {
    const engine = createTestEngine(tumbling(10));
    engine.process(0, [reading('a', 1), reading('a', 12), reading('a', 2)]);
    engine.process(1, [reading('b', 30)]);
    const stats = engine.stats();
    expect(stats.totals).toEqual({
      eventsProcessed: 4,
      lateEvents: 1,
      resultsEmitted: 1,
    });
    expect(
      stats.partitions.map(
        ({ partition, eventsProcessed, lateEvents, resultsEmitted }) => ({
          partition,
          eventsProcessed,
          lateEvents,
          resultsEmitted,
        }),
      ),
    ).toEqual([
      { partition: 0, eventsProcessed: 3, lateEvents: 1, resultsEmitted: 1 },
      { partition: 1, eventsProcessed: 1, lateEvents: 0, resultsEmitted: 0 },
    ]);
  });
});
