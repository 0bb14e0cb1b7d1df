/**
 * The transit e2e tests' shared reference: per-station totals of turnstile reports in tumbling
 * windows, recomputed by brute force (none of the engine's code), and the warehouse rows in the same shape.
 */
import { asIso, iso, windowCells } from './reference';
import { queryRows } from './warehouse-rows';

export type TurnstileReport = { station: string; turnstileId: string; deviceId: string; entries: number; exits: number; timestamp: number };

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const TURNSTILE_COLUMNS = ['station', 'turnstileId', 'deviceId', 'entries', 'exits', 'timestamp'] as const;

/** The rows transit_station_window_stats must hold for these (on-time) reports in windows of `sizeMs`. */
export function expectedTotals(reports: readonly TurnstileReport[], sizeMs: number) {
  return [...windowCells(reports, (r) => r.station, (r) => r.timestamp, sizeMs).values()].map(({ key, windowStart, events }) => ({
    station: key,
    windowStart: iso(windowStart),
    windowEnd: iso(windowStart + sizeMs),
    windowMinutes: sizeMs / MINUTE,
    reportCount: events.length,
    entries: events.reduce((sum, r) => sum + r.entries, 0),
    exits: events.reduce((sum, r) => sum + r.exits, 0),
  }));
}

/** Both windows of the transit pipeline (4 hours, 15 minutes), ordered as warehouseTotals returns them. */
export function expectedStationStats(reports: readonly TurnstileReport[]) {
  return [...expectedTotals(reports, 4 * HOUR), ...expectedTotals(reports, 15 * MINUTE)].sort(
    (a, b) => a.station.localeCompare(b.station) || a.windowMinutes - b.windowMinutes || a.windowStart.localeCompare(b.windowStart),
  );
}

/** The warehouse's transit windows of a run, in the shape of expectedTotals. */
export async function warehouseTotals(schema: string) {
  const rows = await queryRows(schema, 'SELECT * FROM transit_station_window_stats ORDER BY station, window_minutes, window_start');
  return rows.map((row) => ({
    station: row['station'],
    windowStart: asIso(row['window_start']),
    windowEnd: asIso(row['window_end']),
    windowMinutes: row['window_minutes'],
    reportCount: Number(row['report_count']),
    entries: Number(row['entries']),
    exits: Number(row['exits']),
  }));
}
