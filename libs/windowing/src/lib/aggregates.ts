import { InvalidConfigError } from './errors';

export type AggregateKind =
  | 'count'
  | 'sum'
  | 'min'
  | 'max'
  | 'avg'
  | 'stddev'
  | 'first'
  | 'last'
  | 'trend'
  | 'countDistinct';

export type Trend = 'increasing' | 'decreasing' | 'stable';

/**
 * A window's accumulator storage. Every aggregate of a pipeline owns a fixed range of
 * these arrays, so one window costs two small arrays however many aggregates it has.
 */
export interface AccumulatorSlots {
  readonly numbers: number[];
  /** Non-numeric state (first/last values of arbitrary type). */
  readonly values: unknown[];
}

/** Start of the slot ranges an aggregate was given inside AccumulatorSlots. */
export interface SlotOffsets {
  readonly number: number;
  readonly value: number;
}

/** An aggregate bound to its slots; the engine calls it for every accepted event. */
export interface Accumulator<TEvent, TValue> {
  /** Hot path: gets a window's arrays directly rather than the window. */
  add(
    numbers: number[],
    values: unknown[],
    event: TEvent,
    eventTime: number,
    arrival: number,
  ): void;
  /** Folds `source` into `target` (session windows merging). */
  merge(target: AccumulatorSlots, source: AccumulatorSlots): void;
  result(slots: AccumulatorSlots): TValue;
}

/**
 * What `count()`, `avg(field)`, … return: a description of an aggregate whose result
 * type is `TValue`. Bound to concrete slots when the engine is created.
 */
export interface Aggregate<TEvent, TValue> {
  readonly kind: AggregateKind;
  /** Initial content of the numeric slots this aggregate needs in every window. */
  readonly initialNumbers: readonly number[];
  readonly valueSlotCount: number;
  bind(offsets: SlotOffsets): Accumulator<TEvent, TValue>;
}

/** Named aggregates of a pipeline, e.g. `{ count: count(), avgTemp: avg(r => r.temp) }`. */
export type AggregateSpecs<TEvent> = Readonly<
  Record<string, Aggregate<TEvent, unknown>>
>;

/** The result type that follows from the aggregates asked for. */
export type AggregateValues<TAggregates> = {
  readonly [Name in keyof TAggregates]: TAggregates[Name] extends Aggregate<
    never,
    infer TValue
  >
    ? TValue
    : never;
};

export type FieldOf<TEvent, TValue> = (event: TEvent) => TValue;

/** A slot that only grows by addition: count and sum share how they merge and read. */
abstract class AdditiveAccumulator<TEvent> implements Accumulator<TEvent, number> {
  constructor(protected readonly slot: number) {}

  abstract add(numbers: number[], values: unknown[], event: TEvent): void;

  merge(target: AccumulatorSlots, source: AccumulatorSlots): void {
    target.numbers[this.slot] += source.numbers[this.slot];
  }

  result(slots: AccumulatorSlots): number {
    return slots.numbers[this.slot];
  }
}

class CountAccumulator extends AdditiveAccumulator<unknown> {
  add(numbers: number[]): void {
    numbers[this.slot] += 1;
  }
}

class SumAccumulator<TEvent> extends AdditiveAccumulator<TEvent> {
  constructor(
    private readonly field: FieldOf<TEvent, number>,
    slot: number,
  ) {
    super(slot);
  }

  add(numbers: number[], _values: unknown[], event: TEvent): void {
    numbers[this.slot] += this.field(event);
  }
}

/** min and max differ only in which of two numbers survives. */
class ExtremumAccumulator<TEvent> implements Accumulator<TEvent, number> {
  constructor(
    private readonly field: FieldOf<TEvent, number>,
    private readonly slot: number,
    private readonly pick: (current: number, candidate: number) => number,
  ) {}

  add(numbers: number[], _values: unknown[], event: TEvent): void {
    numbers[this.slot] = this.pick(numbers[this.slot], this.field(event));
  }

  merge(target: AccumulatorSlots, source: AccumulatorSlots): void {
    target.numbers[this.slot] = this.pick(
      target.numbers[this.slot],
      source.numbers[this.slot],
    );
  }

  result(slots: AccumulatorSlots): number {
    return slots.numbers[this.slot];
  }
}

/** Slots: [sum, count]. */
class AverageAccumulator<TEvent> implements Accumulator<TEvent, number> {
  constructor(
    private readonly field: FieldOf<TEvent, number>,
    private readonly slot: number,
  ) {}

  add(numbers: number[], _values: unknown[], event: TEvent): void {
    numbers[this.slot] += this.field(event);
    numbers[this.slot + 1] += 1;
  }

  merge(target: AccumulatorSlots, source: AccumulatorSlots): void {
    target.numbers[this.slot] += source.numbers[this.slot];
    target.numbers[this.slot + 1] += source.numbers[this.slot + 1];
  }

  result(slots: AccumulatorSlots): number {
    return slots.numbers[this.slot] / slots.numbers[this.slot + 1];
  }
}

/**
 * Population standard deviation with Welford's update (numerically stable in one pass)
 * and Chan's formula for merging. Slots: [count, mean, sum of squared deviations].
 */
class StandardDeviationAccumulator<TEvent> implements Accumulator<
  TEvent,
  number
> {
  constructor(
    private readonly field: FieldOf<TEvent, number>,
    private readonly slot: number,
  ) {}

  add(numbers: number[], _values: unknown[], event: TEvent): void {
    const value = this.field(event);
    const count = numbers[this.slot] + 1;
    const delta = value - numbers[this.slot + 1];
    const mean = numbers[this.slot + 1] + delta / count;
    numbers[this.slot] = count;
    numbers[this.slot + 1] = mean;
    numbers[this.slot + 2] += delta * (value - mean);
  }

  merge(target: AccumulatorSlots, source: AccumulatorSlots): void {
    const into = target.numbers;
    const from = source.numbers;
    const targetCount = into[this.slot];
    const sourceCount = from[this.slot];
    const count = targetCount + sourceCount;
    const delta = from[this.slot + 1] - into[this.slot + 1];
    into[this.slot] = count;
    into[this.slot + 1] += (delta * sourceCount) / count;
    into[this.slot + 2] +=
      from[this.slot + 2] + (delta * delta * targetCount * sourceCount) / count;
  }

  result(slots: AccumulatorSlots): number {
    return Math.sqrt(slots.numbers[this.slot + 2] / slots.numbers[this.slot]);
  }
}

type Edge = 'first' | 'last';

/** Event-time order with arrival order as tie-breaker, so first/last are deterministic. */
function precedes(
  time: number,
  arrival: number,
  otherTime: number,
  otherArrival: number,
): boolean {
  return time < otherTime || (time === otherTime && arrival < otherArrival);
}

/**
 * Tracks the position [eventTime, arrival] of the first or last event at `slot`;
 * returns true when the candidate takes over, so the caller stores its value.
 */
function claimsEdge(
  edge: Edge,
  numbers: number[],
  slot: number,
  time: number,
  arrival: number,
): boolean {
  const wins =
    edge === 'first'
      ? precedes(time, arrival, numbers[slot], numbers[slot + 1])
      : precedes(numbers[slot], numbers[slot + 1], time, arrival);
  if (wins) {
    numbers[slot] = time;
    numbers[slot + 1] = arrival;
  }
  return wins;
}

/** Position slots start empty: any event is earlier than +∞ and later than −∞. */
function emptyEdge(edge: Edge): readonly number[] {
  return edge === 'first' ? [Infinity, Infinity] : [-Infinity, -Infinity];
}

/** Slots: numbers [time, arrival], values [value]. */
class EdgeAccumulator<TEvent, TValue> implements Accumulator<TEvent, TValue> {
  constructor(
    private readonly edge: Edge,
    private readonly field: FieldOf<TEvent, TValue>,
    private readonly offsets: SlotOffsets,
  ) {}

  add(
    numbers: number[],
    values: unknown[],
    event: TEvent,
    eventTime: number,
    arrival: number,
  ): void {
    if (
      claimsEdge(this.edge, numbers, this.offsets.number, eventTime, arrival)
    ) {
      values[this.offsets.value] = this.field(event);
    }
  }

  merge(target: AccumulatorSlots, source: AccumulatorSlots): void {
    const slot = this.offsets.number;
    if (
      claimsEdge(
        this.edge,
        target.numbers,
        slot,
        source.numbers[slot],
        source.numbers[slot + 1],
      )
    ) {
      target.values[this.offsets.value] = source.values[this.offsets.value];
    }
  }

  result(slots: AccumulatorSlots): TValue {
    // The slot is written only by add/merge above, always with a TValue from `field`.
    return slots.values[this.offsets.value] as TValue;
  }
}

const TREND_FIRST = 0;
const TREND_LAST = 3;

/** Slots: [firstTime, firstArrival, firstValue, lastTime, lastArrival, lastValue]. */
class TrendAccumulator<TEvent> implements Accumulator<TEvent, Trend> {
  constructor(
    private readonly field: FieldOf<TEvent, number>,
    private readonly slot: number,
    private readonly tolerance: number,
  ) {}

  add(
    numbers: number[],
    _values: unknown[],
    event: TEvent,
    eventTime: number,
    arrival: number,
  ): void {
    const firstSlot = this.slot + TREND_FIRST;
    const lastSlot = this.slot + TREND_LAST;
    const takesFirst = claimsEdge(
      'first',
      numbers,
      firstSlot,
      eventTime,
      arrival,
    );
    const takesLast = claimsEdge('last', numbers, lastSlot, eventTime, arrival);
    if (takesFirst || takesLast) {
      const value = this.field(event);
      if (takesFirst) numbers[firstSlot + 2] = value;
      if (takesLast) numbers[lastSlot + 2] = value;
    }
  }

  merge(target: AccumulatorSlots, source: AccumulatorSlots): void {
    this.mergeEdge('first', this.slot + TREND_FIRST, target, source);
    this.mergeEdge('last', this.slot + TREND_LAST, target, source);
  }

  private mergeEdge(
    edge: Edge,
    slot: number,
    target: AccumulatorSlots,
    source: AccumulatorSlots,
  ): void {
    const from = source.numbers;
    if (claimsEdge(edge, target.numbers, slot, from[slot], from[slot + 1])) {
      target.numbers[slot + 2] = from[slot + 2];
    }
  }

  result(slots: AccumulatorSlots): Trend {
    const change =
      slots.numbers[this.slot + TREND_LAST + 2] -
      slots.numbers[this.slot + TREND_FIRST + 2];
    if (change > this.tolerance) return 'increasing';
    if (change < -this.tolerance) return 'decreasing';
    return 'stable';
  }
}

function numericAggregate<TEvent, TValue>(
  kind: AggregateKind,
  initialNumbers: readonly number[],
  bindToSlot: (slot: number) => Accumulator<TEvent, TValue>,
): Aggregate<TEvent, TValue> {
  return {
    kind,
    initialNumbers,
    valueSlotCount: 0,
    bind: (offsets) => bindToSlot(offsets.number),
  };
}

/** Number of events in the window. */
export function count(): Aggregate<unknown, number> {
  return numericAggregate('count', [0], (slot) => new CountAccumulator(slot));
}

export function sum<TEvent>(
  field: FieldOf<TEvent, number>,
): Aggregate<TEvent, number> {
  return numericAggregate(
    'sum',
    [0],
    (slot) => new SumAccumulator(field, slot),
  );
}

export function min<TEvent>(
  field: FieldOf<TEvent, number>,
): Aggregate<TEvent, number> {
  return numericAggregate(
    'min',
    [Infinity],
    (slot) => new ExtremumAccumulator(field, slot, Math.min),
  );
}

export function max<TEvent>(
  field: FieldOf<TEvent, number>,
): Aggregate<TEvent, number> {
  return numericAggregate(
    'max',
    [-Infinity],
    (slot) => new ExtremumAccumulator(field, slot, Math.max),
  );
}

export function avg<TEvent>(
  field: FieldOf<TEvent, number>,
): Aggregate<TEvent, number> {
  return numericAggregate(
    'avg',
    [0, 0],
    (slot) => new AverageAccumulator(field, slot),
  );
}

/** Population standard deviation (0 for a single event). */
export function stddev<TEvent>(
  field: FieldOf<TEvent, number>,
): Aggregate<TEvent, number> {
  return numericAggregate(
    'stddev',
    [0, 0, 0],
    (slot) => new StandardDeviationAccumulator(field, slot),
  );
}

function edgeAggregate<TEvent, TValue>(
  edge: Edge,
  field: FieldOf<TEvent, TValue>,
): Aggregate<TEvent, TValue> {
  return {
    kind: edge,
    initialNumbers: emptyEdge(edge),
    valueSlotCount: 1,
    bind: (offsets) => new EdgeAccumulator(edge, field, offsets),
  };
}

/** Value of the earliest event by event time (earlier arrival wins ties). Must be JSON-serialisable for snapshots. */
export function first<TEvent, TValue>(
  field: FieldOf<TEvent, TValue>,
): Aggregate<TEvent, TValue> {
  return edgeAggregate('first', field);
}

/** Value of the latest event by event time (later arrival wins ties). Must be JSON-serialisable for snapshots. */
export function last<TEvent, TValue>(
  field: FieldOf<TEvent, TValue>,
): Aggregate<TEvent, TValue> {
  return edgeAggregate('last', field);
}

export interface TrendOptions {
  /** Absolute change between first and last value still reported as 'stable'. Default 0. */
  readonly tolerance?: number;
}

/** Compares the first and last value of the window (by event time). */
export function trend<TEvent>(
  field: FieldOf<TEvent, number>,
  options: TrendOptions = {},
): Aggregate<TEvent, Trend> {
  const tolerance = options.tolerance ?? 0;
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new InvalidConfigError(
      'trend tolerance must be a finite, non-negative number',
      { tolerance },
    );
  }
  return numericAggregate(
    'trend',
    [...emptyEdge('first'), NaN, ...emptyEdge('last'), NaN],
    (slot) => new TrendAccumulator(field, slot, tolerance),
  );
}

/**
 * Distinct values of a window (sessions, users), kept as a plain object so snapshots stay
 * JSON. Keys carry a prefix so a value such as "__proto__" is data, never a prototype.
 */
type DistinctValues = Record<string, 1>;

class CountDistinctAccumulator<TEvent> implements Accumulator<TEvent, number> {
  constructor(
    private readonly field: FieldOf<TEvent, string | number>,
    private readonly slot: number,
  ) {}

  add(_numbers: number[], values: unknown[], event: TEvent): void {
    this.distinctIn(values)[`v:${this.field(event)}`] = 1;
  }

  merge(target: AccumulatorSlots, source: AccumulatorSlots): void {
    const from = source.values[this.slot] as DistinctValues | null | undefined;
    if (from) Object.assign(this.distinctIn(target.values), from);
  }

  result(slots: AccumulatorSlots): number {
    const distinct = slots.values[this.slot] as DistinctValues | null | undefined;
    return distinct ? Object.keys(distinct).length : 0;
  }

  private distinctIn(values: unknown[]): DistinctValues {
    let distinct = values[this.slot] as DistinctValues | null | undefined;
    if (!distinct) {
      distinct = {};
      values[this.slot] = distinct;
    }
    return distinct;
  }
}

/** Number of distinct values of a field in the window (e.g. sessions per category). */
export function countDistinct<TEvent>(field: FieldOf<TEvent, string | number>): Aggregate<TEvent, number> {
  return {
    kind: 'countDistinct',
    initialNumbers: [],
    valueSlotCount: 1,
    bind: (offsets) => new CountDistinctAccumulator(field, offsets.value),
  };
}
