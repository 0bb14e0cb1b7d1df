import { field } from '../lib/fields';

/** Maximum length of every identifier (sensor, event, session, customer, product, category, station, device). */
export const ID_LENGTH = 128;

/** Columns every windowed aggregate carries; the output key is the domain key + window start + size. */
export const windowFields = {
  windowStart: field.timestamp('start of the event-time window (inclusive)'),
  windowEnd: field.timestamp('end of the event-time window (exclusive)'),
  windowMinutes: field.int({ min: 1, max: 525600, doc: 'window length in minutes (e.g. 1, 5, 15, 240)' }),
};

/** Deterministic output record key: a replayed aggregate overwrites instead of duplicating. */
export function windowRecordKey(domainKey: string, window: { windowStart: number; windowMinutes: number }): string {
  return `${domainKey}|${new Date(window.windowStart).toISOString()}|${window.windowMinutes}m`;
}
