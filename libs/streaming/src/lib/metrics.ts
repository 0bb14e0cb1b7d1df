import { Counter, Gauge, Histogram, register } from 'prom-client';
import type { PartitionProgress, ProgressBoard } from './progress';

function once<T>(name: string, create: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? create();
}

/** Boards of the running stream servers, by consumer group: read at scrape time. */
const boards = new Map<string, ProgressBoard>();

function progressGauge(name: string, help: string, value: (board: ProgressBoard, progress: PartitionProgress) => number): Gauge {
  return once(
    name,
    () =>
      new Gauge({
        name,
        help,
        labelNames: ['group', 'topic', 'partition'],
        collect() {
          this.reset();
          for (const [group, board] of boards) {
            for (const progress of board.all()) this.set({ group, topic: progress.topic, partition: String(progress.partition) }, value(board, progress));
          }
        },
      }),
  );
}

/** The runtime's metrics, shared by every stream server of the process (labelled by consumer group). */
export const streamMetrics = {
  records: once('pipeline_stream_records_total', () => new Counter({ name: 'pipeline_stream_records_total', help: 'Records consumed and committed', labelNames: ['group', 'topic'] })),
  batches: once('pipeline_stream_batches_total', () => new Counter({ name: 'pipeline_stream_batches_total', help: 'Batches (transactions or commits) completed', labelNames: ['group'] })),
  retries: once('pipeline_stream_retries_total', () => new Counter({ name: 'pipeline_stream_retries_total', help: 'Batch attempts that failed and were retried, by reason class', labelNames: ['group', 'reason_class'] })),
  deadLetters: once('pipeline_stream_dead_letters_total', () => new Counter({ name: 'pipeline_stream_dead_letters_total', help: 'Records sent to the dead-letter topic, by reason class', labelNames: ['group', 'reason_class'] })),
  splits: once('pipeline_stream_batch_splits_total', () => new Counter({ name: 'pipeline_stream_batch_splits_total', help: 'Batches split to isolate a failing record', labelNames: ['group'] })),
  fenced: once('pipeline_stream_fenced_total', () => new Counter({ name: 'pipeline_stream_fenced_total', help: 'Times this replica found a partition owned by a newer producer', labelNames: ['group'] })),
  batchSeconds: once('pipeline_stream_batch_duration_seconds', () => new Histogram({ name: 'pipeline_stream_batch_duration_seconds', help: 'Time from a batch handed to the handler to its commit', labelNames: ['group'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] })),
  restoreSeconds: once('pipeline_stream_restore_duration_seconds', () => new Histogram({ name: 'pipeline_stream_restore_duration_seconds', help: 'Time to restore the state of newly assigned partitions', labelNames: ['group'], buckets: [0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60] })),
  lag: progressGauge('pipeline_stream_consumer_lag', 'Records waiting in an assigned partition', (board, progress) => board.lag(progress)),
  committedOffset: progressGauge('pipeline_stream_committed_offset', 'Next offset to read, as last committed by this replica', (_board, progress) => progress.committedOffset),
  sinceProgress: progressGauge('pipeline_stream_seconds_since_progress', 'Seconds since an assigned partition last committed or moved', (_board, progress) => (Date.now() - progress.lastProgressAt) / 1000),
};

/** Publishes a board's per-partition gauges while the server runs; returns the function that withdraws them. */
export function exposeProgress(group: string, board: ProgressBoard): () => void {
  boards.set(group, board);
  return () => {
    if (boards.get(group) === board) boards.delete(group);
  };
}
