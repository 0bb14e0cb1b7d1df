/**
 * Where a replayed row's event time comes from:
 * - `column`: a column of the file (renamed to the contract's `timestamp` field);
 * - `now`: injected, the wall-clock time at send (the clickstream article's `ts`);
 * - `synthetic`: injected, `start` + row index × `spacingMs` (reproducible timelines).
 */
export type EventTimeSource = { kind: 'column'; column: string } | { kind: 'now' } | { kind: 'synthetic'; start: number; spacingMs: number };

export const EVENT_TIME_FIELD = 'timestamp';
export const INJECTED_TIME_SYNTAX = '`now` or `<start: ISO-8601 or epoch ms>/<spacing ms>`, e.g. `2024-03-01T00:00:00Z/250`';

export class EventTimeSyntaxError extends Error {
  constructor(
    readonly text: string,
    readonly problem: string,
  ) {
    super(`injected time "${text}" ${problem}; expected ${INJECTED_TIME_SYNTAX}`);
    this.name = 'EventTimeSyntaxError';
  }
}

/** Parses INGEST_INJECT_TIME / --inject-time. */
export function parseInjectedTime(text: string): EventTimeSource {
  const trimmed = text.trim();
  if (trimmed === 'now') return { kind: 'now' };
  const slash = trimmed.lastIndexOf('/');
  if (slash < 0) throw new EventTimeSyntaxError(text, 'has no "/<spacing ms>"');
  const startText = trimmed.slice(0, slash);
  const start = /^\d+$/.test(startText) ? Number(startText) : Date.parse(startText);
  if (!Number.isSafeInteger(start) || start < 0) throw new EventTimeSyntaxError(text, `has a start "${startText}" that is not a time`);
  const spacingMs = Number(trimmed.slice(slash + 1));
  if (!Number.isFinite(spacingMs) || spacingMs < 0) throw new EventTimeSyntaxError(text, 'needs a spacing of zero or more milliseconds');
  return { kind: 'synthetic', start, spacingMs };
}

export function describeEventTime(source: EventTimeSource): string {
  switch (source.kind) {
    case 'column':
      return `column "${source.column}"`;
    case 'now':
      return 'injected: wall clock at send';
    case 'synthetic':
      return `injected: ${new Date(source.start).toISOString()} + ${source.spacingMs} ms per row`;
  }
}

/** The event times one pass over a file covered. */
export interface EventTimeSpan {
  min: number;
  max: number;
  count: number;
}

export function widenSpan(span: EventTimeSpan | undefined, eventTime: number): EventTimeSpan {
  if (!span) return { min: eventTime, max: eventTime, count: 1 };
  return { min: Math.min(span.min, eventTime), max: Math.max(span.max, eventTime), count: span.count + 1 };
}

/**
 * How far each further pass of a looping replay moves event times forward: the file's span
 * plus one average gap, so pass k+1 continues where pass k ended instead of repeating its
 * last instant (60 rows one second apart shift by 60 s, not 59 s). At least 1 ms, so time
 * always advances.
 */
export function loopShiftMs(span: EventTimeSpan | undefined): number {
  if (!span || span.count < 2) return 1;
  return Math.max(1, Math.round(((span.max - span.min) * span.count) / (span.count - 1)));
}
