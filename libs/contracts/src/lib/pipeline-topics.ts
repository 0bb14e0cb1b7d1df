import type { TopicSpec } from '@pipeline/kafka';

/**
 * Topics that carry no contract of their own: invalid input (the raw row, with the
 * reason and source position in headers) and late events (the original record bytes,
 * with window and watermark in headers). Nothing the pipeline rejects is lost.
 */
export const deadLetterTopic: TopicSpec = { topic: 'pipeline.dead-letter', partitions: 3 };
export const lateEventsTopic: TopicSpec = { topic: 'pipeline.late-events', partitions: 3 };

/** Header names used on dead-letter and late-event records. */
export const HEADERS = {
  reason: 'pipeline-reason',
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
} as const;
