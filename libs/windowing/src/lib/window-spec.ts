import { type Duration, toMillis, toPositiveMillis } from './duration';
import { InvalidConfigError } from './errors';

/**
 * Fixed-size windows laid out on the epoch grid: `[offset + k·advance, … + size)`.
 * Tumbling windows are the special case advance === size.
 * Values are immutable; `grace` and `offset` return a new spec.
 */
export class TimeWindows {
  private constructor(
    readonly kind: 'tumbling' | 'hopping',
    readonly sizeMs: number,
    readonly advanceMs: number,
    readonly offsetMs: number,
    readonly graceMs: number,
  ) {}

  /** @internal use tumbling() or hopping() */
  static create(
    kind: 'tumbling' | 'hopping',
    size: Duration,
    advance: Duration,
  ): TimeWindows {
    const sizeMs = toPositiveMillis(size, 'window size');
    const advanceMs = toPositiveMillis(advance, 'window advance');
    if (advanceMs > sizeMs) {
      throw new InvalidConfigError(
        'hopping advance must not exceed the window size (events would fall between windows)',
        {
          sizeMs,
          advanceMs,
        },
      );
    }
    return new TimeWindows(kind, sizeMs, advanceMs, 0, 0);
  }

  /** How long after `end` (in watermark time) a window still accepts events. */
  grace(allowedLateness: Duration): TimeWindows {
    return new TimeWindows(
      this.kind,
      this.sizeMs,
      this.advanceMs,
      this.offsetMs,
      toMillis(allowedLateness, 'grace'),
    );
  }

  /** Shifts the epoch grid, e.g. offset('5m') on hourly windows gives [00:05, 01:05). */
  offset(shift: Duration): TimeWindows {
    // Only the position within one advance matters for alignment.
    const offsetMs = toMillis(shift, 'window offset') % this.advanceMs;
    return new TimeWindows(
      this.kind,
      this.sizeMs,
      this.advanceMs,
      offsetMs,
      this.graceMs,
    );
  }

  /** Parts of the spec that shape stored state; a snapshot only restores into the same layout. */
  layoutSignature(): string {
    return `${this.kind}(size=${this.sizeMs},advance=${this.advanceMs},offset=${this.offsetMs})`;
  }
}

/** Per-key activity sessions: events closer than `gap` share a window `[first, last + gap)`. */
export class SessionWindows {
  readonly kind = 'session';

  private constructor(
    readonly gapMs: number,
    readonly graceMs: number,
  ) {}

  /** @internal use session() */
  static create(gap: Duration): SessionWindows {
    return new SessionWindows(toPositiveMillis(gap, 'session gap'), 0);
  }

  grace(allowedLateness: Duration): SessionWindows {
    return new SessionWindows(this.gapMs, toMillis(allowedLateness, 'grace'));
  }

  layoutSignature(): string {
    return `session(gap=${this.gapMs})`;
  }
}

export type WindowSpec = TimeWindows | SessionWindows;

/** Non-overlapping windows of `size`, e.g. tumbling('1m'). */
export function tumbling(size: Duration): TimeWindows {
  return TimeWindows.create('tumbling', size, size);
}

/** Overlapping windows of `size` starting every `advance` (Spark: sliding window). */
export function hopping(size: Duration, advance: Duration): TimeWindows {
  return TimeWindows.create('hopping', size, advance);
}

/** Sessions that close after `gap` without events for the key. */
export function session(gap: Duration): SessionWindows {
  return SessionWindows.create(gap);
}
