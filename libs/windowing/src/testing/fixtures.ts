import {
  avg,
  count,
  createWindowingEngine,
  type EmitMode,
  first,
  last,
  max,
  min,
  stddev,
  sum,
  trend,
  type WatermarkOptions,
  type WindowingEngine,
  type WindowResult,
  type WindowSpec,
  type LateRecord,
  type AggregateValues,
} from '../index';

/** A reading as the tests use it; `id` makes every event distinguishable in late records. */
export interface Reading {
  readonly id: number;
  readonly key: string;
  readonly time: number;
  readonly value: number;
}

export const TREND_TOLERANCE = 2;

export const ALL_AGGREGATES = {
  count: count(),
  sum: sum((reading: Reading) => reading.value),
  min: min((reading: Reading) => reading.value),
  max: max((reading: Reading) => reading.value),
  avg: avg((reading: Reading) => reading.value),
  stddev: stddev((reading: Reading) => reading.value),
  first: first((reading: Reading) => reading.id),
  last: last((reading: Reading) => reading.id),
  trend: trend((reading: Reading) => reading.value, {
    tolerance: TREND_TOLERANCE,
  }),
};

export type AllValues = AggregateValues<typeof ALL_AGGREGATES>;
export type TestEngine = WindowingEngine<Reading, string, AllValues>;
export type TestResult = WindowResult<string, AllValues>;

export interface EngineOptions {
  readonly watermark?: WatermarkOptions;
  readonly emit?: EmitMode;
}

export function createTestEngine(
  window: WindowSpec,
  options: EngineOptions = {},
): TestEngine {
  return createWindowingEngine({
    eventTime: (reading: Reading) => reading.time,
    key: (reading) => reading.key,
    window,
    aggregates: ALL_AGGREGATES,
    ...options,
  });
}

let nextId = 1;

/** Shorthand for hand-written scenarios: reading('a', 1_000, 5). */
export function reading(key: string, time: number, value = 0): Reading {
  return { id: nextId++, key, time, value };
}

/** Everything an engine emitted over a run, in order. */
export interface RunOutput {
  readonly results: TestResult[];
  readonly late: LateRecord<Reading>[];
}

export function emptyRun(): RunOutput {
  return { results: [], late: [] };
}

export function collect(into: RunOutput, output: RunOutput): RunOutput {
  into.results.push(...output.results);
  into.late.push(...output.late);
  return into;
}

/** Splits `items` at the given cut positions (any order, duplicates and out-of-range ignored). */
export function splitAt<T>(
  items: readonly T[],
  cuts: readonly number[],
): T[][] {
  const positions = [
    ...new Set(cuts.filter((cut) => cut > 0 && cut < items.length)),
  ].sort((a, b) => a - b);
  const batches: T[][] = [];
  let from = 0;
  for (const position of [...positions, items.length]) {
    batches.push(items.slice(from, position));
    from = position;
  }
  return batches;
}

export function finalsOf(output: RunOutput): TestResult[] {
  return output.results.filter((result) => result.final);
}
