import { unsafeUniformIntDistribution, xoroshiro128plus, type RandomGenerator } from 'pure-rand';

// pure-rand 7: version 8 ships only subpath exports, which this repo's `moduleResolution: node` cannot type.
const TWO_POW_26 = 2 ** 26;
const TWO_POW_53 = 2 ** 53;

/**
 * A seeded random source: the same seed yields the same sequence on every machine and
 * Node version (unlike Math.random), so a generator run or a pacing plan can be replayed.
 */
export class SeededRandom {
  private readonly generator: RandomGenerator;

  constructor(readonly seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`a random seed must be an integer, got ${seed}`);
    this.generator = xoroshiro128plus(seed);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const high = unsafeUniformIntDistribution(0, 2 ** 27 - 1, this.generator);
    const low = unsafeUniformIntDistribution(0, TWO_POW_26 - 1, this.generator);
    return (high * TWO_POW_26 + low) / TWO_POW_53;
  }

  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number {
    return unsafeUniformIntDistribution(min, max, this.generator);
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** True with the given probability. */
  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('cannot pick from an empty list');
    return items[this.int(0, items.length - 1)];
  }

  /** Normally distributed (Box-Muller). */
  gaussian(mean: number, deviation: number): number {
    const u = 1 - this.next(); // (0, 1]: log(0) is undefined
    return mean + deviation * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** 32 hex digits in the UUID v4 layout: stable ids for a seeded stream. */
  uuid(): string {
    const hex = Array.from({ length: 4 }, () => (this.int(0, 0xffff) * 0x10000 + this.int(0, 0xffff)).toString(16).padStart(8, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}

/** Rounds to a number of decimals (readings and prices travel with realistic precision). */
export function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
