import { HEADERS } from '@pipeline/contracts';
import { Counter, Gauge, Histogram, register } from 'prom-client';
import type { PartitionProgress, ProgressBoard } from './progress';

/**
 * The product's Prometheus metrics, one catalogue for every service (the README's metrics
 * reference lists them). One registry per process: prom-client's default one, which /metrics
 * serves with the `service` label set by the service kit. Counters end in `_total`, durations
 * are histograms in seconds, gauges are read at scrape time.
 */

/** A metric registered once per process, whoever asks first (a lib loaded twice gets the same one). */
export function registeredOnce<T>(name: string, create: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? create();
}

function counter(name: string, help: string, labelNames: readonly string[]): Counter {
  return registeredOnce(name, () => new Counter({ name, help, labelNames }));
}

function histogram(name: string, help: string, labelNames: readonly string[], buckets: number[]): Histogram {
  return registeredOnce(name, () => new Histogram({ name, help, labelNames, buckets }));
}

const FAST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Boards of the running stream servers, by consumer group: read at scrape time. */
const boards = new Map<string, ProgressBoard>();

type Sample = readonly [labels: Record<string, string>, value: number];

/** A gauge whose samples are read at scrape time, from whatever runs then. */
function scrapedGauge(name: string, help: string, labelNames: readonly string[], samples: () => Iterable<Sample>): Gauge {
  return registeredOnce(
    name,
    () =>
      new Gauge({
        name,
        help,
        labelNames,
        collect() {
          this.reset();
          for (const [labels, value] of samples()) this.set(labels, value);
        },
      }),
  );
}

function progressGauge(name: string, help: string, value: (board: ProgressBoard, progress: PartitionProgress) => number): Gauge {
  return scrapedGauge(name, help, ['group', 'topic', 'partition'], function* () {
    for (const [group, board] of boards) {
      for (const progress of board.all()) yield [{ group, topic: progress.topic, partition: String(progress.partition) }, value(board, progress)];
    }
  });
}

/** The runtime's metrics, shared by every stream server of the process (labelled by consumer group). */
export const streamMetrics = {
  records: counter('pipeline_stream_records_total', 'Records consumed and committed', ['group', 'topic', 'partition']),
  batches: counter('pipeline_stream_batches_total', 'Batches (transactions or commits) completed', ['group']),
  retries: counter('pipeline_stream_retries_total', 'Batch attempts that failed and were retried, by reason class', ['group', 'reason_class']),
  deadLetters: counter('pipeline_stream_dead_letters_total', 'Records sent to the dead-letter topic, by reason class', ['group', 'reason_class']),
  splits: counter('pipeline_stream_batch_splits_total', 'Batches split to isolate a failing record', ['group']),
  fenced: counter('pipeline_stream_fenced_total', 'Times this replica found a partition owned by a newer producer', ['group']),
  rewinds: counter('pipeline_stream_rewinds_total', "Times a partition owned anew was read again from its committed state's position, before what this replica had committed or the group's offset (transactions that ended otherwise than the replica saw, or differently on state and offsets)", ['group']),
  consumerRestarts: counter('pipeline_stream_consumer_restarts_total', 'Consumers started anew after a crash kafkajs does not restart from (an error it does not count as retriable)', ['group']),
  batchSeconds: histogram('pipeline_stream_batch_duration_seconds', 'Time from a batch handed to the handler to its commit (the transaction, for the aggregator)', ['group'], FAST_BUCKETS),
  restoreSeconds: histogram('pipeline_stream_restore_duration_seconds', 'Time to restore the state of newly assigned partitions', ['group'], [0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60]),
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

/** Per-partition watermarks of a pipeline's window stages (epoch ms; -Infinity before the first event), read at scrape time. */
export type WatermarkSource = () => Iterable<{ stage: string; partition: number; watermarkMs: number }>;

const watermarkSources = new Map<string, WatermarkSource>();

function watermarkGauge(name: string, help: string, value: (watermarkMs: number) => number): Gauge {
  return scrapedGauge(name, help, ['pipeline', 'stage', 'partition'], function* () {
    for (const [pipeline, source] of watermarkSources) {
      for (const { stage, partition, watermarkMs } of source()) {
        // No watermark yet (no event on the partition): no sample rather than -Inf.
        if (Number.isFinite(watermarkMs)) yield [{ pipeline, stage, partition: String(partition) }, value(watermarkMs)];
      }
    }
  });
}

/** The aggregator's figures per pipeline and stage (consumed records, batches and dead letters are the runtime's, above). */
export const aggregatorMetrics = {
  events: counter('pipeline_aggregator_events_total', 'Events aggregated (committed), heartbeats excluded', ['pipeline']),
  heartbeats: counter('pipeline_aggregator_heartbeats_total', 'Watermark heartbeats consumed (committed)', ['pipeline']),
  outputs: counter('pipeline_aggregator_outputs_total', 'Output records committed (window aggregates, alerts), by stage', ['pipeline', 'stage']),
  lateEvents: counter('pipeline_aggregator_late_events_total', 'Events too late for every window that holds them, sent to the late-events topic', ['pipeline']),
  restoredKeys: counter('pipeline_aggregator_restored_keys_total', 'Key states restored from the changelog', ['pipeline']),
  closeToCommitSeconds: histogram(
    'pipeline_window_close_to_commit_seconds',
    "Time from a window's close (its final output emitted) to the commit of the transaction holding it",
    ['pipeline', 'stage'],
    FAST_BUCKETS,
  ),
  watermark: watermarkGauge('pipeline_watermark_timestamp_seconds', 'Event-time watermark of a partition of a window stage (Unix seconds)', (watermarkMs) => watermarkMs / 1000),
  watermarkDelay: watermarkGauge('pipeline_watermark_delay_seconds', 'How far the watermark is behind processing time (seconds)', (watermarkMs) => (Date.now() - watermarkMs) / 1000),
};

/** Publishes a pipeline's watermarks while it runs; returns the function that withdraws them. */
export function exposeWatermarks(pipeline: string, source: WatermarkSource): () => void {
  watermarkSources.set(pipeline, source);
  return () => {
    if (watermarkSources.get(pipeline) === source) watermarkSources.delete(pipeline);
  };
}

/** The warehouse sink's landing, per table (consumed records, batches and dead letters are the runtime's, above). */
export const sinkMetrics = {
  rowsUpserted: counter('pipeline_sink_rows_upserted_total', 'Rows upserted into a warehouse table', ['table']),
  emptyRecords: counter('pipeline_sink_empty_records_total', 'Tombstones and empty records skipped', ['table']),
  upsertSeconds: histogram('pipeline_sink_upsert_duration_seconds', "Time to upsert one batch's rows (one database transaction)", ['table'], FAST_BUCKETS),
};

/** Starts each table's counters at 0, so a table nothing landed in yet still has a series (and rate() a start). */
export function exposeSinkTables(tables: readonly string[]): void {
  for (const table of tables) {
    sinkMetrics.rowsUpserted.inc({ table }, 0);
    sinkMetrics.emptyRecords.inc({ table }, 0);
  }
}

/** One landed batch: rows, skipped empty records, and how long the upsert took. */
export function observeSinkBatch(table: string, batch: { rowsUpserted: number; emptyRecords: number }, upsertSeconds: number): void {
  sinkMetrics.rowsUpserted.inc({ table }, batch.rowsUpserted);
  sinkMetrics.emptyRecords.inc({ table }, batch.emptyRecords);
  sinkMetrics.upsertSeconds.observe({ table }, upsertSeconds);
}

/** The ingest-producer's sources (CSV replays, generators, the webhook), by source and topic. */
export const ingestMetrics = {
  read: counter('pipeline_ingest_records_read_total', 'Items read from a source (rows, generated events, webhook items)', ['source', 'topic']),
  produced: counter('pipeline_ingest_records_produced_total', 'Events acknowledged by Kafka', ['source', 'topic']),
  deadLetters: counter('pipeline_ingest_dead_letters_total', 'Items sent to the dead-letter topic, by reason class', ['source', 'reason_class']),
  sendSeconds: histogram('pipeline_ingest_send_duration_seconds', 'Time for one send (a batch of events and dead letters) to be acknowledged', ['source'], FAST_BUCKETS),
};

/** One acknowledged send: its events, its dead letters (by their reason-class header) and its latency. */
export function observeIngestSend(source: string, topic: string, sent: { events: number; deadLetters: ReadonlyArray<{ headers?: Record<string, unknown> }> }, seconds: number): void {
  ingestMetrics.produced.inc({ source, topic }, sent.events);
  for (const letter of sent.deadLetters) {
    const reasonClass = letter.headers?.[HEADERS.reasonClass];
    ingestMetrics.deadLetters.inc({ source, reason_class: reasonClass === undefined ? 'unknown' : String(reasonClass) });
  }
  ingestMetrics.sendSeconds.observe({ source }, seconds);
}
