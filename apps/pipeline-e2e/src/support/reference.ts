/**
 * The reference model of the e2e tests: window contents recomputed by brute force from
 * the on-time events, with none of the engine's code. Half-open windows [start, end)
 * aligned to the epoch.
 */
export function windowStartsOf(eventTime: number, sizeMs: number, advanceMs: number = sizeMs): number[] {
  const starts: number[] = [];
  const lastStart = Math.floor(eventTime / advanceMs) * advanceMs;
  for (let start = lastStart; start > eventTime - sizeMs; start -= advanceMs) starts.push(start);
  return starts;
}

/** Groups events into (key, window start) cells. */
export function windowCells<E>(events: readonly E[], key: (event: E) => string, time: (event: E) => number, sizeMs: number, advanceMs: number = sizeMs): Map<string, { key: string; windowStart: number; events: E[] }> {
  const cells = new Map<string, { key: string; windowStart: number; events: E[] }>();
  for (const event of events) {
    for (const windowStart of windowStartsOf(time(event), sizeMs, advanceMs)) {
      const id = `${key(event)}|${windowStart}`;
      const cell = cells.get(id) ?? { key: key(event), windowStart, events: [] };
      cell.events.push(event);
      cells.set(id, cell);
    }
  }
  return cells;
}

/**
 * A numeric(20, 6) column's rounding of a decimal value: half away from zero. A double near a tie
 * (61.4265625, say) is a hair off it, in either direction depending on how it was summed, so the value
 * is taken to 9 decimals first and the tie decided on that.
 */
export const round6 = (value: number) => {
  const nine = Math.round(Math.abs(value) * 1e9);
  const six = Math.floor(nine / 1000) + (nine % 1000 >= 500 ? 1 : 0);
  return (Math.sign(value) * six) / 1e6 || 0;
};

/** first/last by event time, ties by arrival (the order of `events`). */
export function trendOf<E>(events: readonly E[], time: (event: E) => number, value: (event: E) => number, tolerance: number): 'increasing' | 'decreasing' | 'stable' {
  const ordered = events.map((event, arrival) => ({ event, arrival })).sort((a, b) => time(a.event) - time(b.event) || a.arrival - b.arrival);
  const first = ordered[0];
  const last = ordered[ordered.length - 1];
  if (!first || !last) throw new Error('trend of an empty window');
  const change = value(last.event) - value(first.event);
  return change > tolerance ? 'increasing' : change < -tolerance ? 'decreasing' : 'stable';
}

export const iso = (millis: number) => new Date(millis).toISOString();
export const asIso = (value: unknown) => (value instanceof Date ? value.toISOString() : String(value));
