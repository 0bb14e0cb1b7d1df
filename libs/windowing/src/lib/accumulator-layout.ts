import type {
  Accumulator,
  AccumulatorSlots,
  AggregateSpecs,
} from './aggregates';
import { InvalidConfigError } from './errors';

const NO_VALUES: unknown[] = [];

/**
 * The pipeline's named aggregates resolved once into flat slot ranges, so the per-event
 * path is a loop over pre-bound accumulators writing into two small arrays.
 */
export class AccumulatorLayout<TEvent, TValues> {
  readonly names: readonly string[];
  /** Names, kinds and order of the aggregates; a snapshot only restores into the same layout. */
  readonly signature: string;
  readonly numberSlotCount: number;
  readonly valueSlotCount: number;
  private readonly accumulators: readonly Accumulator<TEvent, unknown>[];
  private readonly initialNumbers: number[];

  constructor(aggregates: AggregateSpecs<TEvent>) {
    const names: string[] = [];
    const kinds: string[] = [];
    const accumulators: Accumulator<TEvent, unknown>[] = [];
    // Seeded with NaN so V8 stores the template (and every slice of it) as unboxed
    // doubles from the start instead of transitioning each window's array on first use.
    const initialNumbers: number[] = [NaN];
    initialNumbers.length = 0;
    let valueSlotCount = 0;
    for (const [name, aggregate] of Object.entries(aggregates)) {
      if (typeof aggregate?.bind !== 'function') {
        throw new InvalidConfigError(
          `aggregate '${name}' is not an aggregate (use count(), avg(field), …)`,
          { name },
        );
      }
      names.push(name);
      kinds.push(`${name}:${aggregate.kind}`);
      accumulators.push(
        aggregate.bind({
          number: initialNumbers.length,
          value: valueSlotCount,
        }),
      );
      initialNumbers.push(...aggregate.initialNumbers);
      valueSlotCount += aggregate.valueSlotCount;
    }
    if (names.length === 0) {
      throw new InvalidConfigError(
        'a pipeline needs at least one aggregate',
        {},
      );
    }
    this.names = names;
    this.signature = kinds.join(',');
    this.numberSlotCount = initialNumbers.length;
    this.accumulators = accumulators;
    this.initialNumbers = initialNumbers;
    this.valueSlotCount = valueSlotCount;
  }

  createNumbers(): number[] {
    // slice() keeps the packed-double element kind of the template.
    return this.initialNumbers.slice();
  }

  createValues(): unknown[] {
    // Without value slots nothing ever writes to the array, so all windows can share one.
    return this.valueSlotCount === 0
      ? NO_VALUES
      : new Array<unknown>(this.valueSlotCount).fill(null);
  }

  add(
    slots: AccumulatorSlots,
    event: TEvent,
    eventTime: number,
    arrival: number,
  ): void {
    const accumulators = this.accumulators;
    const { numbers, values } = slots;
    for (let index = 0; index < accumulators.length; index++) {
      accumulators[index].add(numbers, values, event, eventTime, arrival);
    }
  }

  merge(target: AccumulatorSlots, source: AccumulatorSlots): void {
    for (const accumulator of this.accumulators) {
      accumulator.merge(target, source);
    }
  }

  result(slots: AccumulatorSlots): TValues {
    const values: Record<string, unknown> = {};
    for (let index = 0; index < this.names.length; index++) {
      values[this.names[index]] = this.accumulators[index].result(slots);
    }
    // Keys and value types come from the same aggregate specs that define TValues.
    return values as TValues;
  }
}
