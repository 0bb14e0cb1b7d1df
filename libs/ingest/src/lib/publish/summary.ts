import { END_OF_INPUT } from '@pipeline/contracts';

/** Counts of a running or finished ingestion. */
export interface IngestCounts {
  /** Inputs taken from the source (rows, generated events, webhook items). */
  read: number;
  /** Valid records acknowledged on the event topic. */
  produced: number;
  /** Rejected inputs acknowledged on the dead-letter topic. */
  deadLettered: number;
  /** Rounds of watermark heartbeats (one record per partition each). */
  heartbeatRounds: number;
}

export interface ProgressSnapshot extends IngestCounts {
  source: string;
  topic: string;
  elapsedMs: number;
  /** Highest event time acknowledged so far. */
  maxEventTime?: number;
  /** Key and value bytes of the produced records (before compression), where the source counts them. */
  producedBytes?: number;
}

/** What a bounded run reports when it ends: read = produced + dead-lettered, or it says why not. */
export interface IngestSummary extends ProgressSnapshot {
  deadLetterTopic: string;
  minEventTime?: number;
  /** END_OF_INPUT heartbeats were sent (the source ended and does not loop). */
  endOfInput: boolean;
  /** The run was stopped (signal) before its source ended. */
  stopped: boolean;
  /** Inputs per second over the whole run. */
  ratePerSecond: number;
  /** read === produced + deadLettered. */
  reconciled: boolean;
  /** A poll job: polls that failed (attempts spent; each tried again at the next poll). */
  failedPolls?: number;
  /** A resumable job: where this run started and what every run of it committed so far. */
  job?: JobRun;
}

export interface JobRun {
  id: string;
  /** Inputs earlier runs had committed; this run started after them. */
  resumedAfter: number;
  lastPosition: string | null;
  /** The job had finished before: this run sent nothing. */
  alreadyFinished: boolean;
  /** Committed by every run of the job, this one included. */
  totals: { read: number; produced: number; deadLettered: number };
}

function describeJob(job: JobRun): string {
  const start = job.alreadyFinished
    ? `already finished before this run, nothing sent (restart it to send again)`
    : job.resumedAfter > 0
      ? `resumed after ${count.format(job.resumedAfter)} inputs`
      : 'started from the beginning';
  const { read, produced, deadLettered } = job.totals;
  return `${job.id}: ${start}; all runs: ${count.format(read)} read = ${count.format(produced)} produced + ${count.format(deadLettered)} dead-lettered, last ${job.lastPosition ?? '-'}`;
}

const count = new Intl.NumberFormat('en-US');

function duration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const [hours, minutes] = [Math.floor(seconds / 3600), Math.floor((seconds % 3600) / 60)];
  const clock = `${String(minutes).padStart(hours > 0 ? 2 : 1, '0')}:${String(seconds % 60).padStart(2, '0')}`;
  return hours > 0 ? `${hours}:${clock}` : clock;
}

function eventTime(ms: number | undefined): string {
  if (ms === undefined) return '-';
  return ms === END_OF_INPUT ? 'end of input' : new Date(ms).toISOString();
}

/** One line of progress: "<source> 12,345 read · 12,000 produced · 345 dead-lettered · 4,100/s · event time … · 0:03". */
export function formatProgress(snapshot: ProgressSnapshot, ratePerSecond: number): string {
  return [
    `${snapshot.source} → ${snapshot.topic}`,
    `${count.format(snapshot.read)} read`,
    `${count.format(snapshot.produced)} produced`,
    `${count.format(snapshot.deadLettered)} dead-lettered`,
    `${count.format(Math.round(ratePerSecond))}/s`,
    `event time ${eventTime(snapshot.maxEventTime)}`,
    duration(snapshot.elapsedMs),
  ].join(' · ');
}

/** The summary a bounded run prints, one fact a line. */
export function formatSummary(summary: IngestSummary): string {
  const verdict = summary.reconciled
    ? `reconciled: ${count.format(summary.read)} read = ${count.format(summary.produced)} produced + ${count.format(summary.deadLettered)} dead-lettered`
    : `NOT reconciled: ${count.format(summary.read)} read ≠ ${count.format(summary.produced)} produced + ${count.format(summary.deadLettered)} dead-lettered`;
  return [
    `source        ${summary.source}`,
    `topics        ${summary.topic} (events), ${summary.deadLetterTopic} (dead letters)`,
    `counts        ${verdict}`,
    `rate          ${count.format(Math.round(summary.ratePerSecond))} inputs/s over ${duration(summary.elapsedMs)}`,
    `event time    ${eventTime(summary.minEventTime)} .. ${eventTime(summary.maxEventTime)}`,
    `heartbeats    ${summary.heartbeatRounds} rounds${summary.endOfInput ? ', the last at END_OF_INPUT' : ''}${summary.stopped ? ' (stopped before the end of the source)' : ''}`,
    ...(summary.failedPolls !== undefined ? [`polls         ${summary.failedPolls} failed (each tried again at the next poll)`] : []),
    ...(summary.job ? [`job           ${describeJob(summary.job)}`] : []),
  ].join('\n');
}
