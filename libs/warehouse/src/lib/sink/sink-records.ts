import { QueryFailedError } from 'typeorm';
import { ContractViolationError, HEADERS } from '@pipeline/contracts';
import { AvroDecodeError, type IHeaders, type Message } from '@pipeline/kafka';

/** Where a consumed record came from, for its dead-letter headers. */
export interface RecordPosition {
  topic: string;
  partition: number;
  offset: string;
}

/** A record the sink consumed: its position and its raw key, value and headers. */
export interface ConsumedRecord extends RecordPosition {
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}

/** The offset to commit after a record: Kafka commits the next offset to read. */
export function offsetAfter(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}

/**
 * Why a record can never be landed (its bytes cannot decode, or its value breaks its contract),
 * or undefined when the failure is transient (registry unreachable) and the batch must be retried.
 */
export function rejectionReason(error: unknown): string | undefined {
  if (error instanceof AvroDecodeError) return error.message;
  if (error instanceof ContractViolationError) return `breaks contract ${error.message}`;
  return undefined;
}

/**
 * Why the database refused a row for its values (SQLSTATE class 22, data exception, e.g. a measure
 * beyond its numeric column; class 23, integrity constraint), or undefined for any other failure
 * (connection lost, server shutting down), which a retry can cure.
 */
export function databaseRefusal(error: unknown): string | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const code: unknown = (error.driverError as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !/^2[23]/.test(code)) return undefined;
  return `refused by the database (SQLSTATE ${code}): ${error.message}`;
}

/** The dead-letter copy of a rejected record: the original bytes, with the reason and source position in headers. */
export function deadLetterMessage(record: ConsumedRecord, reason: string, contract: string): Message {
  return {
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      [HEADERS.reason]: reason,
      [HEADERS.contract]: contract,
      [HEADERS.sourceTopic]: record.topic,
      [HEADERS.sourcePartition]: String(record.partition),
      [HEADERS.sourceOffset]: record.offset,
    },
  };
}

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
