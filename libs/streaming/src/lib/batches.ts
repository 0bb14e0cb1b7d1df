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
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && (current.length >= limits.maxRecords || bytes + size > limits.maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Exponential backoff with full jitter, capped. */
export function backoffMs(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
