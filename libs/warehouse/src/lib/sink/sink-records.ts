
/** Totals since the sink started, over committed batches only (a retried batch counts once). */
export interface SinkCounters {
  batches: number;
  records: number;
  /** Rows written per table (a replayed record is written again and counted again). */
  rowsUpserted: Record<string, number>;
  deadLettered: number;
  /** Records without a value (tombstones, heartbeats), skipped. */
  emptyRecords: number;
}

/** One batch (a topic-partition run of records) landed and its offset committed. */
export interface CommittedBatch extends Omit<SinkCounters, 'batches'> {
  topic: string;
  partition: number;
  /** The offset committed for the partition: the next one to read. */
  committedOffset: string;
  durationMs: number;
}

export function emptyCounters(tableNames: readonly string[]): SinkCounters {
  return { batches: 0, records: 0, rowsUpserted: Object.fromEntries(tableNames.map((name) => [name, 0])), deadLettered: 0, emptyRecords: 0 };
}

export function addBatch(counters: SinkCounters, batch: CommittedBatch): void {
  counters.batches += 1;
  counters.records += batch.records;
  counters.deadLettered += batch.deadLettered;
  counters.emptyRecords += batch.emptyRecords;
  for (const [table, rows] of Object.entries(batch.rowsUpserted)) counters.rowsUpserted[table] = (counters.rowsUpserted[table] ?? 0) + rows;
}
