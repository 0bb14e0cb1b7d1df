import { HEADERS } from '@pipeline/contracts';
import type { IHeaders, KafkaMessage } from '@pipeline/kafka';

/** One record of the dead-letter topic, its headers read as text. */
export interface DeadLetterEntry {
  readonly partition: number;
  readonly offset: string;
  /** The record's Kafka timestamp (ms). */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Every header, as text (a repeated header keeps each value). */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  /** The headers as they were (bytes), for a replay byte for byte. */
  readonly rawHeaders: IHeaders;
  readonly reason: string;
  readonly reasonClass: string;
  /** Who refused it: `stream-aggregator/iot`, `warehouse-sink/…`, a CSV path, `webhook:iot`. */
  readonly source: string;
  /** The topic the record was consumed from; undefined for raw input (a CSV row, a webhook item). */
  readonly sourceTopic?: string;
  readonly contract?: string;
  /** When it was dead-lettered (the failed-at header, else the record's timestamp), ms. */
  readonly failedAt: number;
}

/** Headers a dead letter adds to a record; everything else is the original record's own. */
export const DEAD_LETTER_HEADERS: readonly string[] = [
  HEADERS.reason,
  HEADERS.reasonClass,
  HEADERS.failedAt,
  HEADERS.source,
  HEADERS.position,
  HEADERS.contract,
  HEADERS.sourceTopic,
  HEADERS.sourcePartition,
  HEADERS.sourceOffset,
];

/** Where a record sits on the dead-letter topic, `<partition>:<offset>`. */
export function positionOf(entry: { partition: number; offset: string }): string {
  return `${entry.partition}:${entry.offset}`;
}

export class DeadLetterSelectionError extends Error {
  readonly retriable = false;
  constructor(message: string) {
    super(message);
    this.name = 'DeadLetterSelectionError';
  }
}

/** Parses `<partition>:<offset>` (both non-negative integers). */
export function parsePosition(text: string): { partition: number; offset: string } {
  const match = /^(\d+):(\d+)$/.exec(text.trim());
  if (!match) throw new DeadLetterSelectionError(`"${text}" is not <partition>:<offset> (e.g. 0:42)`);
  return { partition: Number(match[1]), offset: BigInt(match[2] as string).toString() };
}

function headerTexts(headers: IHeaders | undefined): Record<string, string[]> {
  const texts: Record<string, string[]> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    if (raw === undefined) continue;
    texts[name] = (Array.isArray(raw) ? raw : [raw]).map((value) => value.toString());
  }
  return texts;
}

/** A consumed dead-letter record as an entry (records from older builds may lack headers: they read as `unknown`). */
export function toDeadLetterEntry(message: KafkaMessage, partition: number): DeadLetterEntry {
  const headers = headerTexts(message.headers);
  const first = (name: string) => headers[name]?.[0];
  const timestamp = Number(message.timestamp);
  const failedAt = Date.parse(first(HEADERS.failedAt) ?? '');
  return {
    partition,
    offset: message.offset,
    timestamp,
    key: message.key,
    value: message.value,
    headers,
    rawHeaders: message.headers ?? {},
    reason: first(HEADERS.reason) ?? 'unknown',
    reasonClass: first(HEADERS.reasonClass) ?? 'unknown',
    source: first(HEADERS.source) ?? 'unknown',
    sourceTopic: first(HEADERS.sourceTopic),
    contract: first(HEADERS.contract),
    failedAt: Number.isNaN(failedAt) ? timestamp : failedAt,
  };
}

/** Which dead letters a command is about; every filter given must match. */
export interface DeadLetterFilter {
  reasonClass?: string;
  sourceTopic?: string;
  /** Dead-lettered at or after (ms). */
  since?: number;
  /** Dead-lettered before (ms). */
  until?: number;
}

export function matchesFilter(entry: DeadLetterEntry, filter: DeadLetterFilter): boolean {
  return (
    (filter.reasonClass === undefined || entry.reasonClass === filter.reasonClass) &&
    (filter.sourceTopic === undefined || entry.sourceTopic === filter.sourceTopic) &&
    (filter.since === undefined || entry.failedAt >= filter.since) &&
    (filter.until === undefined || entry.failedAt < filter.until)
  );
}

/** Time buckets of `dlq list`. */
export const HOUR_MS = 3_600_000;

/** A group of `dlq list`: same reason class, source topic, source and hour. */
export interface DeadLetterGroup {
  reasonClass: string;
  /** `-` for raw input (no source topic). */
  sourceTopic: string;
  source: string;
  /** Start of the hour bucket (ms, UTC). */
  bucketStart: number;
  count: number;
  /** First and last offset per dead-letter partition. */
  offsets: { partition: number; first: string; last: string }[];
  /** A reason of the group, for people (the first one seen). */
  sampleReason: string;
}

/**
 * Groups entries, fed one at a time (the topic is never held in memory). Groups come out
 * in time order, then reason class, source topic and source, so output is stable.
 */
export class DeadLetterGrouper {
  private readonly groups = new Map<string, DeadLetterGroup>();
  private total = 0;

  constructor(private readonly bucketMs: number = HOUR_MS) {}

  add(entry: DeadLetterEntry): void {
    this.total++;
    const bucketStart = Math.floor(entry.failedAt / this.bucketMs) * this.bucketMs;
    const sourceTopic = entry.sourceTopic ?? '-';
    const id = JSON.stringify([bucketStart, entry.reasonClass, sourceTopic, entry.source]);
    let group = this.groups.get(id);
    if (!group) {
      group = { reasonClass: entry.reasonClass, sourceTopic, source: entry.source, bucketStart, count: 0, offsets: [], sampleReason: entry.reason };
      this.groups.set(id, group);
    }
    group.count++;
    const range = group.offsets.find((candidate) => candidate.partition === entry.partition);
    if (!range) {
      group.offsets.push({ partition: entry.partition, first: entry.offset, last: entry.offset });
      group.offsets.sort((a, b) => a.partition - b.partition);
    } else {
      if (BigInt(entry.offset) < BigInt(range.first)) range.first = entry.offset;
      if (BigInt(entry.offset) > BigInt(range.last)) range.last = entry.offset;
    }
  }

  get count(): number {
    return this.total;
  }

  result(): DeadLetterGroup[] {
    const order = (group: DeadLetterGroup) => [group.reasonClass, group.sourceTopic, group.source].join('\u0000');
    return [...this.groups.values()].sort((a, b) => a.bucketStart - b.bucketStart || order(a).localeCompare(order(b)));
  }
}

/**
 * Keeps the matching entries, at most `limit` of them: the oldest by dead-letter time (then
 * partition, offset). Each partition arrives in offset order, so holding the first `limit`
 * of each partition is enough, and memory stays bounded by the limit.
 */
export class DeadLetterSelection {
  private readonly byPartition = new Map<number, DeadLetterEntry[]>();
  private matched = 0;

  constructor(
    private readonly filter: DeadLetterFilter,
    private readonly limit: number = Number.POSITIVE_INFINITY,
  ) {}

  /** True when the entry matched the filter (kept or not). */
  offer(entry: DeadLetterEntry): boolean {
    if (!matchesFilter(entry, this.filter)) return false;
    this.matched++;
    let kept = this.byPartition.get(entry.partition);
    if (!kept) this.byPartition.set(entry.partition, (kept = []));
    if (kept.length < this.limit) kept.push(entry);
    return true;
  }

  /** Entries that matched, before the limit. */
  get matchedCount(): number {
    return this.matched;
  }

  entries(): DeadLetterEntry[] {
    const all: DeadLetterEntry[] = [];
    for (const kept of this.byPartition.values()) for (const entry of kept) all.push(entry);
    all.sort(compareEntries);
    return all.slice(0, this.limit);
  }
}

export function compareEntries(a: DeadLetterEntry, b: DeadLetterEntry): number {
  const offsets = BigInt(a.offset) - BigInt(b.offset);
  return a.failedAt - b.failedAt || a.partition - b.partition || (offsets < 0n ? -1 : offsets > 0n ? 1 : 0);
}
