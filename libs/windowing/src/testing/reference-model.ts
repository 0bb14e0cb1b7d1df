import type { Trend, WindowSpec } from '../index';
import { type AllValues, type Reading, TREND_TOLERANCE } from './fixtures';

/**
 * Brute-force model of one partition, written independently of the engine: it keeps every
 * on-time event and recomputes windows and sessions from scratch whenever it needs them.
 * Slow by design; obviously right is the point.
 */

interface Arrival {
  readonly event: Reading;
  readonly arrival: number;
}

export interface ReferenceWindow {
  readonly key: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly values: AllValues;
}

export interface ReferenceLate {
  readonly eventId: number;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly watermark: number;
}

export interface ReferenceOutput {
  /** Windows whose close time the final watermark reached. */
  readonly closed: ReferenceWindow[];
  readonly late: ReferenceLate[];
  readonly finalWatermark: number;
  /** Values of a window over the on-time events among the first `arrival + 1` events. */
  valuesAt(
    arrival: number,
    key: string,
    windowStart: number,
    windowEnd: number,
  ): AllValues | undefined;
}

interface Bucket {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly arrivals: Arrival[];
}

export function referenceRun(
  events: readonly Reading[],
  spec: WindowSpec,
  maxOutOfOrdernessMs: number,
): ReferenceOutput {
  return spec.kind === 'session'
    ? referenceSessions(events, spec.gapMs, spec.graceMs, maxOutOfOrdernessMs)
    : referenceTimeWindows(
        events,
        spec.sizeMs,
        spec.advanceMs,
        spec.offsetMs,
        spec.graceMs,
        maxOutOfOrdernessMs,
      );
}

function referenceTimeWindows(
  events: readonly Reading[],
  size: number,
  advance: number,
  offset: number,
  grace: number,
  maxOutOfOrderness: number,
): ReferenceOutput {
  const buckets = new Map<string, Bucket>();
  const late: ReferenceLate[] = [];
  let maxTime = -Infinity;
  events.forEach((event, arrival) => {
    maxTime = Math.max(maxTime, event.time);
    const watermark = maxTime - maxOutOfOrderness;
    // Every grid start that could possibly contain the event; keep those that do.
    const lowest = Math.floor((event.time - size - offset) / advance) - 1;
    const highest = Math.floor((event.time - offset) / advance) + 1;
    for (let k = lowest; k <= highest; k++) {
      const start = offset + k * advance;
      const end = start + size;
      if (!(start <= event.time && event.time < end)) continue;
      if (end + grace <= watermark) {
        late.push({
          eventId: event.id,
          windowStart: start,
          windowEnd: end,
          watermark,
        });
        continue;
      }
      const id = `${event.key}|${start}`;
      const bucket = buckets.get(id) ?? {
        key: event.key,
        start,
        end,
        arrivals: [],
      };
      bucket.arrivals.push({ event, arrival });
      buckets.set(id, bucket);
    }
  });
  const finalWatermark = maxTime - maxOutOfOrderness;
  const closed = [...buckets.values()]
    .filter((bucket) => bucket.end + grace <= finalWatermark)
    .map(toWindow);
  const valuesAt = (
    arrival: number,
    key: string,
    windowStart: number,
  ): AllValues | undefined => {
    const seen =
      buckets
        .get(`${key}|${windowStart}`)
        ?.arrivals.filter((entry) => entry.arrival <= arrival) ?? [];
    return seen.length === 0 ? undefined : referenceValues(seen);
  };
  return { closed, late, finalWatermark, valuesAt };
}

function referenceSessions(
  events: readonly Reading[],
  gap: number,
  grace: number,
  maxOutOfOrderness: number,
): ReferenceOutput {
  const onTimeByKey = new Map<string, Arrival[]>();
  const late: ReferenceLate[] = [];
  let maxTime = -Infinity;
  events.forEach((event, arrival) => {
    maxTime = Math.max(maxTime, event.time);
    const watermark = maxTime - maxOutOfOrderness;
    const onTime = onTimeByKey.get(event.key) ?? [];
    const touched = sessionize(event.key, onTime, gap).filter(
      (session) => event.time < session.end && session.start < event.time + gap,
    );
    const touchesClosed = touched.some(
      (session) => session.end + grace <= watermark,
    );
    const ownWindowClosed = event.time + gap + grace <= watermark;
    if (touchesClosed || ownWindowClosed) {
      late.push({
        eventId: event.id,
        windowStart: event.time,
        windowEnd: event.time + gap,
        watermark,
      });
      return;
    }
    onTime.push({ event, arrival });
    onTimeByKey.set(event.key, onTime);
  });
  const finalWatermark = maxTime - maxOutOfOrderness;
  const closed = [...onTimeByKey.entries()]
    .flatMap(([key, arrivals]) => sessionize(key, arrivals, gap))
    .filter((session) => session.end + grace <= finalWatermark)
    .map(toWindow);
  const valuesAt = (
    arrival: number,
    key: string,
    windowStart: number,
    windowEnd: number,
  ): AllValues | undefined => {
    const seen = (onTimeByKey.get(key) ?? []).filter(
      (entry) => entry.arrival <= arrival,
    );
    const match = sessionize(key, seen, gap).find(
      (session) => session.start === windowStart && session.end === windowEnd,
    );
    return match === undefined ? undefined : referenceValues(match.arrivals);
  };
  return { closed, late, finalWatermark, valuesAt };
}

/** Sorts by time and splits wherever consecutive events are `gap` or more apart. */
function sessionize(
  key: string,
  arrivals: readonly Arrival[],
  gap: number,
): Bucket[] {
  const sorted = [...arrivals].sort(
    (left, right) => left.event.time - right.event.time,
  );
  const sessions: Bucket[] = [];
  let current: Arrival[] = [];
  for (const entry of sorted) {
    const previous = current[current.length - 1];
    if (
      previous !== undefined &&
      entry.event.time - previous.event.time >= gap
    ) {
      sessions.push(sessionBucket(key, current, gap));
      current = [];
    }
    current.push(entry);
  }
  if (current.length > 0) sessions.push(sessionBucket(key, current, gap));
  return sessions;
}

function sessionBucket(
  key: string,
  sortedArrivals: Arrival[],
  gap: number,
): Bucket {
  const start = sortedArrivals[0].event.time;
  const end = sortedArrivals[sortedArrivals.length - 1].event.time + gap;
  return { key, start, end, arrivals: sortedArrivals };
}

function toWindow(bucket: Bucket): ReferenceWindow {
  return {
    key: bucket.key,
    windowStart: bucket.start,
    windowEnd: bucket.end,
    values: referenceValues(bucket.arrivals),
  };
}

/** All aggregates straight from their definitions. */
export function referenceValues(arrivals: readonly Arrival[]): AllValues {
  const values = arrivals.map((entry) => entry.event.value);
  const total = values.reduce((sum, value) => sum + value, 0);
  const mean = total / values.length;
  const variance =
    values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
  const byTimeThenArrival = [...arrivals].sort(
    (left, right) =>
      left.event.time - right.event.time || left.arrival - right.arrival,
  );
  const earliest = byTimeThenArrival[0].event;
  const latest = byTimeThenArrival[byTimeThenArrival.length - 1].event;
  return {
    count: values.length,
    sum: total,
    min: Math.min(...values),
    max: Math.max(...values),
    avg: mean,
    stddev: Math.sqrt(variance),
    first: earliest.id,
    last: latest.id,
    trend: trendOf(latest.value - earliest.value),
  };
}

function trendOf(change: number): Trend {
  if (change > TREND_TOLERANCE) return 'increasing';
  if (change < -TREND_TOLERANCE) return 'decreasing';
  return 'stable';
}
