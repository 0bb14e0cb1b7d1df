import type {
  Accumulator,
  AccumulatorSlots,
  AggregateSpecs,
} from './aggregates';
import { InvalidConfigError } from './errors';
import { WINDOW_HEADER_SLOTS } from './partition-state';

const NO_VALUES: unknown[] = [];

/**
 * The pipeline's named aggregates resolved once into flat slot ranges, so the per-event
 * path is a loop over pre-bound accumulators writing into two small arrays.
 */
export class AccumulatorLayout<TEvent, TValues> {
  readonly names: readonly string[];
  /** Names, kinds and order of the aggregates; a snapshot only restores into the same layout. */
  readonly signature: string;
  /** The aggregates' numeric slots (a window's numbers array has WINDOW_HEADER_SLOTS more in front). */
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
    // The window's header slots come first; the aggregates are bound behind them.
    const initialNumbers: number[] = [NaN];
    while (initialNumbers.length < WINDOW_HEADER_SLOTS) initialNumbers.push(NaN);
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
    this.numberSlotCount = initialNumbers.length - WINDOW_HEADER_SLOTS;
    this.accumulators = accumulators;
    this.initialNumbers = initialNumbers;
    this.valueSlotCount = valueSlotCount;
  }

  /** A window's numbers: header slots, then the aggregates' initial slots. */
  createNumbers(): number[] {
    // slice() keeps the packed-double element kind of the template.
    return this.initialNumbers.slice();
  }

  /** A window's numbers holding the numberSlotCount accumulator slots stored from `firstSlot` on. */
  restoreNumbers(stored: readonly number[], firstSlot = 0): number[] {
    const numbers = this.initialNumbers.slice();
    for (let slot = 0; slot < this.numberSlotCount; slot++) {
      numbers[WINDOW_HEADER_SLOTS + slot] = stored[firstSlot + slot];
    }
    return numbers;
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
