import { SeededRandom } from './seeded-random';

/** What every generator is configured with. */
export interface GeneratorOptions {
  /** Same seed, same options ⇒ exactly the same stream. */
  seed: number;
  /** Events per second of event time (also the default send pace). */
  ratePerSecond: number;
  /** How many keys take part: sensors, concurrent shopping sessions, turnstiles. */
  keys: number;
  /** Event time of the first event, epoch ms. */
  startTime: number;
  /** Out of order: each event time moves back by up to this many ms. Default 0. */
  jitterMs?: number;
  /** Fraction (0..1) of events sent late: their event time moves back by `lateByMs`. Default 0. */
  lateFraction?: number;
  /** How late a late event is, ms. Default 2 minutes. */
  lateByMs?: number;
}

export const DEFAULT_LATE_BY_MS = 120_000;

export class GeneratorOptionsError extends RangeError {
  constructor(problems: string[]) {
    super(`generator options: ${problems.join('; ')}`);
    this.name = 'GeneratorOptionsError';
  }
}

export function checkGeneratorOptions(options: GeneratorOptions): void {
  const problems = [
    Number.isSafeInteger(options.seed) ? undefined : `seed must be an integer (got ${options.seed})`,
    options.ratePerSecond > 0 && Number.isFinite(options.ratePerSecond) ? undefined : `ratePerSecond must be positive (got ${options.ratePerSecond})`,
    Number.isInteger(options.keys) && options.keys >= 1 ? undefined : `keys must be a positive integer (got ${options.keys})`,
    Number.isSafeInteger(options.startTime) && options.startTime >= 0 ? undefined : `startTime must be epoch ms (got ${options.startTime})`,
    (options.jitterMs ?? 0) >= 0 ? undefined : `jitterMs must be >= 0 (got ${options.jitterMs})`,
    (options.lateFraction ?? 0) >= 0 && (options.lateFraction ?? 0) <= 1 ? undefined : `lateFraction must be in [0, 1] (got ${options.lateFraction})`,
    (options.lateByMs ?? DEFAULT_LATE_BY_MS) >= 0 ? undefined : `lateByMs must be >= 0 (got ${options.lateByMs})`,
  ].filter((problem): problem is string => problem !== undefined);
  if (problems.length > 0) throw new GeneratorOptionsError(problems);
}

/** When the index-th event would happen without jitter or lateness: evenly spaced at the rate. */
export function scheduledTimeOf(index: number, options: Pick<GeneratorOptions, 'startTime' | 'ratePerSecond'>): number {
  return options.startTime + Math.floor((index * 1000) / options.ratePerSecond);
}

/**
 * The event times of a generated stream: evenly spaced at the rate from the start, then
 * moved back by the out-of-order jitter and, for the late fraction, by `lateByMs`. The
 * jitter draws from its own seeded stream, so turning lateness on keeps the values the same.
 */
export function timelineOf(options: GeneratorOptions): (index: number) => number {
  checkGeneratorOptions(options);
  const random = new SeededRandom(options.seed + 0x9e3779b9);
  const jitterMs = Math.floor(options.jitterMs ?? 0);
  const lateFraction = options.lateFraction ?? 0;
  const lateByMs = options.lateByMs ?? DEFAULT_LATE_BY_MS;
  return (index) => {
    const onTime = scheduledTimeOf(index, options);
    const jitter = jitterMs > 0 ? random.int(0, jitterMs) : 0;
    const late = lateFraction > 0 && random.chance(lateFraction) ? lateByMs : 0;
    return Math.max(0, onTime - jitter - late);
  };
}
