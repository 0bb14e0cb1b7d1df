import type { IHeaders, Message } from '@pipeline/kafka';
import { HEADERS } from './pipeline-topics';

/** Where a consumed record came from. */
export interface RecordOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** Everything a dead letter says; the one shape every service uses. */
export interface DeadLetterInfo {
  /** Why the record can never be processed. */
  readonly reason: string;
  /** Stable label of the reason: decode, contract, database-refused, unclassified, … */
  readonly reasonClass: string;
  /** Who refused it: `stream-aggregator/iot`, `warehouse-sink/iot_sensor_alerts`, a file path, `webhook:iot`. */
  readonly source: string;
  /** Where in a source that is not a topic: a CSV line, a request item. */
  readonly position?: string;
  /** The contract the record broke or was meant for. */
  readonly contract?: string;
  /** The Kafka position of a consumed record. */
  readonly origin?: RecordOrigin;
  readonly key: Buffer | string | null;
  /** The original bytes (or the raw input as text), never re-encoded. */
  readonly value: Buffer | string | null;
  /** The consumed record's own headers, kept beside ours. */
  readonly headers?: IHeaders;
}

/** The dead-letter record: the original key and value, the reason and origin in headers. */
export function deadLetterRecord(letter: DeadLetterInfo, now: Date = new Date()): Message {
  const headers: IHeaders = {
    ...letter.headers,
    [HEADERS.reason]: letter.reason,
    [HEADERS.reasonClass]: letter.reasonClass,
    [HEADERS.source]: letter.source,
    [HEADERS.failedAt]: now.toISOString(),
  };
  if (letter.position !== undefined) headers[HEADERS.position] = letter.position;
  if (letter.contract !== undefined) headers[HEADERS.contract] = letter.contract;
  if (letter.origin !== undefined) {
    headers[HEADERS.sourceTopic] = letter.origin.topic;
    headers[HEADERS.sourcePartition] = String(letter.origin.partition);
    headers[HEADERS.sourceOffset] = letter.origin.offset;
  }
  return { key: letter.key, value: letter.value, headers };
}
