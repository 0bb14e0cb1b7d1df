/**
 * The pure part of the latency benchmark: when a window closed (from the input topic's records,
 * never from the aggregator's clock) and percentiles of what was measured.
 */

/**
 * Per input partition, the records that raised the partition's highest event time, in offset
 * order, with their Kafka timestamps. A window of the partition closes with the first record
 * (event or heartbeat) whose event time reaches `end + closeDelay` (the aggregator's rule:
 * watermark = highest event time − maxOutOfOrderness ≥ end + grace), so that record's append
 * time is the moment of the close.
 */
export class WatermarkTimeline {
  private readonly partitions = new Map<number, { eventTimes: number[]; appendTimes: number[] }>();

  /** One input record, in offset order within its partition. */
  add(partition: number, eventTime: number, appendTime: number): void {
    let steps = this.partitions.get(partition);
    if (!steps) {
      steps = { eventTimes: [], appendTimes: [] };
      this.partitions.set(partition, steps);
    }
    const highest = steps.eventTimes[steps.eventTimes.length - 1];
    if (highest !== undefined && eventTime <= highest) return;
    steps.eventTimes.push(eventTime);
    steps.appendTimes.push(appendTime);
  }

  /** Append time of the partition's first record with event time ≥ `eventTime`; undefined if none came. */
  reached(partition: number, eventTime: number): number | undefined {
    const steps = this.partitions.get(partition);
    if (!steps) return undefined;
    // The steps' event times strictly rise.
    return steps.appendTimes[firstIndexAtOrAfter(steps.eventTimes, eventTime)];
  }

  /** When the window `[…, windowEnd)` of the partition closed, or undefined if it has not. */
  closeTime(partition: number, windowEnd: number, closeDelayMs: number): number | undefined {
    return this.reached(partition, windowEnd + closeDelayMs);
  }
}

export interface Distribution {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile (p in (0, 100]) of values sorted ascending; NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export function distribution(values: readonly number[]): Distribution {
  const sorted = Float64Array.from(values).sort();
  const list = Array.from(sorted);
  return { count: list.length, p50: percentile(list, 50), p95: percentile(list, 95), p99: percentile(list, 99), max: list.length > 0 ? (list[list.length - 1] as number) : Number.NaN };
}

export function formatDistribution(name: string, values: readonly number[]): string {
  const { count, p50, p95, p99, max } = distribution(values);
  if (count === 0) return `${name}: no samples`;
  return `${name}: n=${count} p50=${Math.round(p50)} ms p95=${Math.round(p95)} ms p99=${Math.round(p99)} ms max=${Math.round(max)} ms`;
}

/** An alert the aggregator took this long or longer to produce after its reading was visible counts as slow. */
export const SLOW_ALERT_MS = 500;

/**
 * Where the slow alerts fall in the run, by whole second (ms into the run each became visible):
 * `alerts produced ≥ 500 ms after visible: 412, at +3 s (398), +41 s (14)`. A stall of the
 * aggregator shows as one or two seconds holding most of them; a slow machine, as many.
 */
export function slowAlertsLine(visibleMsIntoRun: readonly number[], most = 5): string {
  const bySecond = new Map<number, number>();
  for (const at of visibleMsIntoRun) {
    const second = Math.floor(at / 1000);
    bySecond.set(second, (bySecond.get(second) ?? 0) + 1);
  }
  const busiest = [...bySecond].sort(([secondA, countA], [secondB, countB]) => countB - countA || secondA - secondB).slice(0, most);
  const rest = bySecond.size - busiest.length;
  const seconds = busiest.map(([second, count]) => `+${second} s (${count})`).join(', ');
  return `alerts produced ≥ ${SLOW_ALERT_MS} ms after visible: ${visibleMsIntoRun.length}, at ${seconds}${rest > 0 ? ` and ${rest} more seconds` : ''}`;
}

/** The first of the ascending `times` at or after `moment` (e.g. the commit that made a record visible); undefined if none. */
export function firstAtOrAfter(times: readonly number[], moment: number): number | undefined {
  return times[firstIndexAtOrAfter(times, moment)];
}

/** Binary search: index of the first of the ascending `values` ≥ `value` (values.length if none). */
function firstIndexAtOrAfter(values: readonly number[], value: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((values[middle] as number) >= value) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** Milliseconds from `now` (epoch ms) to the next moment at `second` past a minute (0 when it is that moment). */
export function msUntilSecondOfMinute(now: number, second: number): number {
  return (((second * 1000 - (now % 60_000)) % 60_000) + 60_000) % 60_000;
}

export interface HistogramMean {
  labels: string;
  count: number;
  meanMs: number;
}

/** Count and mean (ms) of each series of a Prometheus histogram in seconds, from a /metrics text. */
export function histogramMeans(metricsText: string, name: string): HistogramMean[] {
  const sums = new Map<string, number>();
  const counts = new Map<string, number>();
  const pattern = new RegExp(`^${name}_(sum|count)(\\{[^}]*\\})? (\\S+)$`);
  for (const line of metricsText.split('\n')) {
    const match = pattern.exec(line);
    if (!match) continue;
    (match[1] === 'sum' ? sums : counts).set(match[2] ?? '', Number(match[3]));
  }
  return [...counts].filter(([, count]) => count > 0).map(([labels, count]) => ({ labels, count, meanMs: ((sums.get(labels) ?? 0) * 1000) / count }));
}
