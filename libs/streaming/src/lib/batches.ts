/** What a transaction or commit may hold at most, so memory stays bounded whatever the fetch size. */
export interface BatchLimits {
  readonly maxRecords: number;
  readonly maxBytes: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxRecords: 50_000, maxBytes: 16 * 1024 * 1024 };

/**
 * Cuts a run of records into consecutive chunks of at most `maxRecords` records and
 * `maxBytes` bytes (a single record larger than `maxBytes` is a chunk of its own).
 */
export function boundedChunks<T>(items: readonly T[], sizeOf: (item: T) => number, limits: BatchLimits): T[][] {
  const chunks: T[][] = [];
  for (let from = 0; from < items.length; ) {
    const chunk = nextChunk(items, from, sizeOf, limits);
    chunks.push(chunk);
    from += chunk.length;
  }
  return chunks;
}

/** The chunk of `items` that starts at `from` (see boundedChunks), for limits that change between chunks. */
export function nextChunk<T>(items: readonly T[], from: number, sizeOf: (item: T) => number, limits: BatchLimits): T[] {
  const chunk: T[] = [];
  let bytes = 0;
  for (let index = from; index < items.length; index++) {
    const item = items[index];
    const size = sizeOf(item);
    if (chunk.length > 0 && (chunk.length >= limits.maxRecords || bytes + size > limits.maxBytes)) break;
    chunk.push(item);
    bytes += size;
  }
  return chunk;
}

/** Exponential backoff with full jitter, capped. */
export function backoffMs(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Records per transaction, adapted to how long transactions take. A transaction that outlives
 * the producer's transaction timeout is aborted by the broker and the partition starts over
 * from its committed offset: at many keys on a busy machine a fixed 50,000-record batch can
 * take longer than that every time, and the partition never moves. So a batch slower than
 * `targetMs` halves the next one (down to `min`), and a quick one lets it grow back by half
 * (up to `max`). Results do not depend on batch boundaries, only the pace does.
 */
export class AdaptiveBatchSize {
  private size: number;

  constructor(
    private readonly max: number,
    private readonly targetMs: number,
    private readonly min = Math.min(100, max),
  ) {
    this.size = max;
  }

  get current(): number {
    return this.size;
  }

  /** One batch of `records` took `elapsedMs` from handling to commit. */
  observe(records: number, elapsedMs: number): void {
    if (elapsedMs > this.targetMs) {
      this.shrink(records);
    } else if (elapsedMs * 4 < this.targetMs && records >= this.size) {
      this.size = Math.min(this.max, Math.ceil(this.size * 1.5));
    }
  }

  /** A batch of `records` failed for being too slow (its transaction expired). */
  shrink(records: number): void {
    this.size = Math.max(this.min, Math.floor(Math.min(this.size, records) / 2));
  }
}
