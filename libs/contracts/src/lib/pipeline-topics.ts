import type { PlainTopicDefinition } from './topic';

/**
 * Topics that carry no contract of their own: invalid input (the raw row, with the
 * reason and source position in headers) and late events (the original record bytes,
 * with window and watermark in headers). Nothing the pipeline rejects is lost.
 */
export const deadLetterTopic: PlainTopicDefinition = { name: 'pipeline.dead-letter', partitions: 3 };
export const lateEventsTopic: PlainTopicDefinition = { name: 'pipeline.late-events', partitions: 3 };

/** Header names used on dead-letter and late-event records. */
export const HEADERS = {
  reason: 'pipeline-reason',
  /** Stable label of the reason (decode, contract, database-refused, unclassified…), for counting and filtering. */
  reasonClass: 'pipeline-reason-class',
  /** When the record was dead-lettered (ISO-8601). */
  failedAt: 'pipeline-failed-at',
  source: 'pipeline-source',
  position: 'pipeline-position',
  contract: 'pipeline-contract',
  sourceTopic: 'pipeline-source-topic',
  sourcePartition: 'pipeline-source-partition',
  sourceOffset: 'pipeline-source-offset',
  windowStart: 'pipeline-window-start',
  windowEnd: 'pipeline-window-end',
  watermark: 'pipeline-watermark',
  pipeline: 'pipeline-name',
  /** Marks a watermark heartbeat: no data, only "event time has reached <value>" for its partition. */
  watermarkHeartbeat: 'pipeline-watermark-heartbeat',
  /** On a record sent back from the dead-letter topic (`dlq replay`): `<dead-letter topic>/<partition>:<offset>`. */
  replayedFrom: 'pipeline-replayed-from',
} as const;

/**
 * Event time of an end-of-input heartbeat: a bounded source (a CSV replay that does not
 * loop) sends it last, so every window closes, as a bounded source does in Flink.
 */
export const END_OF_INPUT = Number.MAX_SAFE_INTEGER;

export interface HeartbeatMessage {
  partition: number;
  key: null;
  value: null;
  headers: Record<string, string>;
}

/**
 * A watermark heartbeat for one partition of an event topic. It carries no data, only
 * "no later event of this partition will be older than T" (or END_OF_INPUT: no later event
 * at all). The aggregator treats it like an event at T for that partition, so its windows
 * close when it goes quiet. Send only times that are safe for the partition: its own
 * progress, or a bound the source enforces (see the ingest lib's PartitionProgress); a
 * time beyond that makes on-time events late.
 */
export function watermarkHeartbeat(partition: number, eventTime: number): HeartbeatMessage {
  if (!Number.isSafeInteger(eventTime) || eventTime < 0) throw new Error(`heartbeat event time must be a non-negative safe integer, got ${eventTime}`);
  return { partition, key: null, value: null, headers: { [HEADERS.watermarkHeartbeat]: String(eventTime) } };
}

/** The same heartbeat on every partition: END_OF_INPUT, or a time safe for all of them. */
export function watermarkHeartbeats(partitions: number, eventTime: number): HeartbeatMessage[] {
  return Array.from({ length: partitions }, (_, partition) => watermarkHeartbeat(partition, eventTime));
}

/** The event time of a heartbeat record, or undefined for a data record. */
export function heartbeatEventTime(headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined): number | undefined {
  const raw = headers?.[HEADERS.watermarkHeartbeat];
  if (raw === undefined) return undefined;
  const text = (Array.isArray(raw) ? raw[0] : raw)?.toString();
  const eventTime = Number(text);
  return Number.isSafeInteger(eventTime) ? eventTime : undefined;
}
