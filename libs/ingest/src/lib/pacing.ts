import { SeededRandom } from './generators/seeded-random';

/**
 * How fast a source is sent, in processing time:
 * - `asap`: as fast as the broker acknowledges;
 * - `rate`: a fixed number of records per second;
 * - `replay`: the records' own event-time spacing, sped up (or slowed down) by `speed`;
 * - `batches`: random batches of `min`..`max` records, each spread evenly over `intervalMs`
 *   (the clickstream article's producer: 500-1000 records every 5 s).
 */
export type Pace =
  | { kind: 'asap' }
  | { kind: 'rate'; perSecond: number }
  | { kind: 'replay'; speed: number }
  | { kind: 'batches'; min: number; max: number; intervalMs: number };

export const PACE_SYNTAX = '`asap`, `rate:<records per second>`, `replay:<speed factor>` or `batches:<min>-<max>/<seconds>s`';
export const DEFAULT_BATCHES_PACE: Pace = { kind: 'batches', min: 500, max: 1000, intervalMs: 5000 };

export class PaceSyntaxError extends Error {
  constructor(
    readonly text: string,
    readonly problem: string,
  ) {
    super(`pace "${text}" ${problem}; expected ${PACE_SYNTAX}`);
    this.name = 'PaceSyntaxError';
  }
}

function positive(text: string, cell: string, what: string): number {
  const value = Number(cell);
  if (cell.trim() === '' || !Number.isFinite(value) || value <= 0) throw new PaceSyntaxError(text, `needs a positive ${what}, got "${cell}"`);
  return value;
}

/** Parses the pace syntax of INGEST_PACE and --pace. */
export function parsePace(text: string): Pace {
  const [kind = '', argument] = text.trim().split(/:(.*)/s);
  switch (kind) {
    case 'asap':
      if (argument !== undefined) throw new PaceSyntaxError(text, 'takes no argument');
      return { kind: 'asap' };
    case 'rate':
      return { kind: 'rate', perSecond: positive(text, argument ?? '', 'rate') };
    case 'replay':
      return { kind: 'replay', speed: positive(text, argument ?? '', 'speed factor') };
    case 'batches': {
      if (argument === undefined) return DEFAULT_BATCHES_PACE;
      const match = /^(\d+)-(\d+)\/(\d+(?:\.\d+)?)s$/.exec(argument);
      if (!match) throw new PaceSyntaxError(text, 'has batches in an unknown form');
      const [min, max, seconds] = [Number(match[1]), Number(match[2]), Number(match[3])];
      if (min < 1 || max < min) throw new PaceSyntaxError(text, 'needs 1 <= min <= max');
      if (seconds <= 0) throw new PaceSyntaxError(text, 'needs a positive interval');
      return { kind: 'batches', min, max, intervalMs: seconds * 1000 };
    }
    default:
      throw new PaceSyntaxError(text, 'is not a known pace');
  }
}

export function formatPace(pace: Pace): string {
  switch (pace.kind) {
    case 'asap':
      return 'asap';
    case 'rate':
      return `rate:${pace.perSecond}`;
    case 'replay':
      return `replay:${pace.speed}`;
    case 'batches':
      return `batches:${pace.min}-${pace.max}/${pace.intervalMs / 1000}s`;
  }
}

/**
 * The send plan of a pace: for each record in turn, the processing time (epoch ms) at
 * which it is due. Pure arithmetic (no clock, no sleeping), so plans are unit-testable.
 */
export interface PaceSchedule {
  /** When the next record is due; `eventTime` is its event time if known (replay needs it). */
  next(eventTime: number | undefined): number;
}

export class ReplayPaceError extends Error {
  constructor() {
    super('replay pacing needs event times read from the source (a timestamp column), not injected ones');
    this.name = 'ReplayPaceError';
  }
}

/** `seed` makes the random batch sizes of the `batches` pace reproducible. */
export function createPaceSchedule(pace: Pace, startedAt: number, seed = 1): PaceSchedule {
  switch (pace.kind) {
    case 'asap':
      return { next: () => startedAt };
    case 'rate': {
      let index = 0;
      return { next: () => startedAt + (index++ * 1000) / pace.perSecond };
    }
    case 'replay':
      return replaySchedule(pace.speed, startedAt);
    case 'batches':
      return batchesSchedule(pace, startedAt, new SeededRandom(seed));
  }
}

function replaySchedule(speed: number, startedAt: number): PaceSchedule {
  let origin: number | undefined;
  let previous = startedAt;
  return {
    next(eventTime) {
      // A row without an event time (an invalid one, for instance) goes with its predecessor.
      if (eventTime === undefined) return previous;
      origin ??= eventTime;
      // Out-of-order rows are due in the past, i.e. at once: their order in the source is kept.
      previous = startedAt + (eventTime - origin) / speed;
      return previous;
    },
  };
}

function batchesSchedule(pace: Extract<Pace, { kind: 'batches' }>, startedAt: number, random: SeededRandom): PaceSchedule {
  let batchStart = startedAt;
  let batchSize = random.int(pace.min, pace.max);
  let indexInBatch = 0;
  return {
    next() {
      if (indexInBatch === batchSize) {
        batchStart += pace.intervalMs;
        batchSize = random.int(pace.min, pace.max);
        indexInBatch = 0;
      }
      return batchStart + Math.floor((indexInBatch++ * pace.intervalMs) / batchSize);
    },
  };
}
