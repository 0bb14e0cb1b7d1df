import type { Message } from '@pipeline/kafka';

/** Records for one topic, as the pump hands them over. */
export interface TopicRecords {
  topic: string;
  messages: Message[];
}

/** How far into its source a job is once a write's records are committed. */
export interface SourceReached {
  /** Inputs taken from the source by this run, up to and including the last one of the write. */
  read: number;
  /** That last input's position (a CSV line, a generator index). */
  position: string;
  /** Of the write's records, events and dead letters (the rest are watermark heartbeats riding along). */
  produced: number;
  deadLettered: number;
  /** Heartbeats ride in this write: commit it at once, so the aggregator sees them when they are due. */
  commit?: boolean;
}

/**
 * Where the pump's records go. A write resolves once its records are acknowledged; `reached`
 * comes with data (the source position after them) and is absent for a write of heartbeats only. The writer of
 * resumable jobs (resume/transactional-writer.ts) commits them in transactions with the position.
 */
export interface RecordWriter {
  write(topicMessages: TopicRecords[], reached?: SourceReached): Promise<void>;
}
