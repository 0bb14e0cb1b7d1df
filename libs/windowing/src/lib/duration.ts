import { InvalidDurationError } from './errors';

export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';

/** Milliseconds as a number, or a literal such as '500ms', '10s', '1m', '4h', '1d'. */
export type Duration = number | `${number}${DurationUnit}`;

const MILLIS_PER_UNIT: Readonly<Record<DurationUnit, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION_LITERAL = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

function isDurationUnit(unit: string): unit is DurationUnit {
  return Object.prototype.hasOwnProperty.call(MILLIS_PER_UNIT, unit);
}

/**
 * Converts a duration to milliseconds. `name` only feeds the error context so that a
 * bad value in a large pipeline definition can be traced to the option that held it.
 */
export function toMillis(duration: Duration, name = 'duration'): number {
  if (typeof duration === 'number') {
    if (Number.isFinite(duration) && duration >= 0) {
      return duration;
    }
    throw new InvalidDurationError(
      `${name} must be a finite, non-negative number of milliseconds`,
      {
        name,
        value: duration,
      },
    );
  }
  const match = DURATION_LITERAL.exec(duration);
  const unit = match?.[2];
  if (match === null || unit === undefined || !isDurationUnit(unit)) {
    throw new InvalidDurationError(
      `${name} must look like '500ms', '10s', '1m', '4h' or '1d'`,
      {
        name,
        value: duration,
      },
    );
  }
  return Number(match[1]) * MILLIS_PER_UNIT[unit];
}

/** Like toMillis, but zero is rejected: sizes, advances and gaps of zero make no windows. */
export function toPositiveMillis(duration: Duration, name: string): number {
  const millis = toMillis(duration, name);
  if (millis === 0) {
    throw new InvalidDurationError(`${name} must be greater than zero`, {
      name,
      value: duration,
    });
  }
  return millis;
}
