import {
  avg,
  count,
  createWindowingEngine,
  first,
  hopping,
  type LateRecord,
  max,
  trend,
  type Trend,
  type WindowResult,
} from '../index';

/** Compile-time equality: only `true` when both types are mutually assignable. */
type Equals<Left, Right> =
  (<T>() => T extends Left ? 1 : 2) extends <T>() => T extends Right ? 1 : 2
    ? true
    : false;
function assertType<Condition extends true>(): Condition | undefined {
  return undefined;
}

interface Reading {
  readonly deviceId: string;
  readonly site: number;
  readonly timestamp: number;
  readonly temperature: number;
  readonly firmware: string;
}

const engine = createWindowingEngine({
  eventTime: (reading: Reading) => reading.timestamp,
  key: (reading) => reading.deviceId,
  window: hopping('5m', '1m').grace('10s'),
  aggregates: {
    count: count(),
    avgTemp: avg((reading: Reading) => reading.temperature),
    maxTemp: max((reading: Reading) => reading.temperature),
    direction: trend((reading: Reading) => reading.temperature, {
      tolerance: 0.5,
    }),
    firmware: first((reading: Reading) => reading.firmware),
  },
});

type Output = ReturnType<typeof engine.process>;
type Result = Output['results'][number];

describe('typing', () => {
  it('derives result values, key and late-record types from the pipeline definition', () => {
    assertType<
      Equals<
        Result['values'],
        {
          readonly count: number;
          readonly avgTemp: number;
          readonly maxTemp: number;
          readonly direction: Trend;
          readonly firmware: string;
        }
      >
    >();
    assertType<Equals<Trend, 'increasing' | 'decreasing' | 'stable'>>();
    assertType<Equals<Result, WindowResult<string, Result['values']>>>();
    assertType<Equals<Output['late'][number], LateRecord<Reading>>>();

    const bySite = createWindowingEngine({
      eventTime: (reading: Reading) => reading.timestamp,
      key: (reading) => reading.site,
      window: hopping(10, 5),
      aggregates: { count: count() },
    });
    assertType<
      Equals<
        ReturnType<typeof bySite.process>['results'][number]['key'],
        number
      >
    >();
    expect(engine.process(0, []).results).toEqual([]);
    expect(bySite.watermark(0)).toBe(-Infinity);
  });

  it('rejects aggregates over fields the event does not have or of the wrong type', () => {
    const base = {
      eventTime: (reading: Reading) => reading.timestamp,
      key: (reading: Reading) => reading.deviceId,
      window: hopping(10, 5),
    };
    // @ts-expect-error unknown field
    avg((reading: Reading) => reading.humidity);
    // @ts-expect-error avg over a string field
    avg((reading: Reading) => reading.firmware);
    const foreign = {
      avg: avg((other: { pressure: number }) => other.pressure),
    };
    // @ts-expect-error aggregate written for another event type
    createWindowingEngine({ ...base, aggregates: foreign });
    const objectKey = (reading: Reading) => ({ id: reading.deviceId });
    const counts = { count: count() };
    // @ts-expect-error keys must be strings or numbers
    createWindowingEngine({ ...base, key: objectKey, aggregates: counts });
    expect(true).toBe(true);
  });
});
