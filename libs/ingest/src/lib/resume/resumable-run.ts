import { deadLetterTopic as defaultDeadLetterTopic, type TopicNamespace } from '@pipeline/contracts';
import type { CompressionName, TopicSpec } from '@pipeline/kafka';
import { dependingOn } from '@pipeline/streaming';
import type { Pace } from '../pacing';
import { IngestClient, type IngestConnection } from '../publish/ingest-client';
import { pump, type BatchingOptions, type ByteBudgetOptions, type DisorderOptions, type EventSink } from '../publish/pump';
import type { IngestSummary, ProgressSnapshot } from '../publish/summary';
import type { EventTopic, EventValue, SourceItems } from '../source';
import { ingestPositionsTopic, jobTransactionalId, JobPositionError, readJobPosition, type JobPosition } from './job-position';
import { BULK_COMMIT_INTERVAL_MS, DEFAULT_COMMIT_INTERVAL_MS, TransactionalWriter } from './transactional-writer';

/** What every ingestion job takes besides its source. */
export interface JobOptions extends BatchingOptions, ByteBudgetOptions, DisorderOptions {
  connection: IngestConnection;
  /** The run's topic namespace: names the positions topic, the default dead-letter topic and the transactional id. */
  topics: TopicNamespace;
  /** Default: `pipeline.dead-letter` (3 partitions) in `topics`. */
  deadLetterTopic?: TopicSpec;
  /** Names the job's position; a re-run with the same id resumes after what it committed. Default: derived from the job (see README). */
  jobId?: string;
  /** Ignore the stored position and send the whole source again (the topic keeps the earlier run's records). */
  restart?: boolean;
  /** Most time records wait in an open transaction, ms. Default 100, 1000 with the `asap` pace (BULK_COMMIT_INTERVAL_MS). */
  commitIntervalMs?: number;
  /** Codec of the record batches (`none`, `gzip`). Default INGEST_COMPRESSION. */
  compression?: CompressionName;
  /** Stops the job early: what was read is still sent, and heartbeats at the highest event time. */
  signal?: AbortSignal;
  /** Called after every acknowledged send and at the end (e.g. a ProgressReporter's update). */
  onProgress?: (snapshot: ProgressSnapshot) => void;
  /** Informational lines (layout of a file, what a job is about to do, where it resumes). */
  log?: (line: string) => void;
}

/** What names a resumable job and what it reads; the stored position must match it to be resumed. */
export interface JobIdentity {
  jobId: string;
  /** Must be equal in every run of the job (compared field by field). */
  definition: Record<string, unknown>;
  /** The input of this run (a file's identity, a generator's timeline start). */
  input: Record<string, unknown>;
  /** Why the input of an earlier run cannot be continued with this one (a changed file); undefined when it can. */
  inputChange?: (stored: Record<string, unknown>) => string | undefined;
}

/** A source that can resume: what identifies it and its input, and its items after the first `skip`. */
export interface ResumableSource<T extends EventValue> extends JobIdentity {
  /** The source's items after the first `skip`; `input` is the stored one on resume (a generator continues its timeline); `sink` where they go. */
  items(skip: number, input: Record<string, unknown>, sink: EventSink<T>): SourceItems<T>;
}

export interface RunSpec<T extends EventValue> extends JobOptions {
  topic: EventTopic<T>;
  pace: Pace;
  paceSeed?: number;
  source: string;
  endOfInput: boolean;
}

function changedFields(stored: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const names = new Set([...Object.keys(stored), ...Object.keys(now)]);
  return [...names].filter((name) => JSON.stringify(stored[name]) !== JSON.stringify(now[name])).map((name) => `${name} was ${JSON.stringify(stored[name])}, now ${JSON.stringify(now[name])}`);
}

/** Where a run starts: a stored position it may resume, or a fresh one. Refuses a changed job or input. */
function startingPoint(source: JobIdentity, stored: JobPosition | undefined): JobPosition {
  if (stored) {
    const changed = changedFields(stored.definition, source.definition);
    if (changed.length > 0) throw new JobPositionError(source.jobId, `its definition changed since the stored position (${changed.join('; ')}); run it with another job id, or restart it to send everything again`);
    const inputChange = source.inputChange?.(stored.input);
    if (inputChange) throw new JobPositionError(source.jobId, `cannot resume: ${inputChange}; restart it to send everything again, or give it another job id`);
    return stored;
  }
  return { version: 1, jobId: source.jobId, definition: source.definition, input: source.input, items: 0, lastPosition: null, finished: false, counts: { read: 0, produced: 0, deadLettered: 0 }, updatedAt: '' };
}

function alreadyFinished<T extends EventValue>(spec: RunSpec<T>, position: JobPosition, deadLetterTopic: string): IngestSummary {
  return {
    source: spec.source,
    topic: spec.topic.topic,
    deadLetterTopic,
    read: 0,
    produced: 0,
    deadLettered: 0,
    heartbeatRounds: 0,
    elapsedMs: 0,
    endOfInput: false,
    stopped: false,
    ratePerSecond: 0,
    reconciled: true,
    job: { id: position.jobId, resumedAfter: position.items, lastPosition: position.lastPosition, alreadyFinished: true, totals: position.counts },
  };
}

/** An open run of a resumable job: its sink, where it starts, and writers committing records with its position. */
export interface JobSession<T extends EventValue> {
  sink: EventSink<T>;
  deadLetterTopic: string;
  /** The position this run starts from: the stored one on resume, else a fresh one. */
  start: JobPosition;
  /**
   * A transactional writer continuing from `from` (default: the start); `stateAt` gives the
   * source's own resume point after its first n inputs of this writer (stored in the position).
   */
  writer(from?: JobPosition, stateAt?: (read: number) => Record<string, unknown> | undefined): TransactionalWriter;
}

/**
 * Opens a resumable job and runs `work` with it: topics made sure of, the schema registered,
 * the job's transactional producer initialised (fencing a killed run of the same job and
 * aborting its open transaction), the committed position read and checked. A finished job
 * does nothing. The summary gets the job's totals from the last writer. Steps that wait for a
 * dependency fail with the streaming error policy's DependencyUnavailableError naming it, so the
 * caller can retry the job.
 */
export async function runJobSession<T extends EventValue>(spec: RunSpec<T>, identity: JobIdentity, work: (session: JobSession<T>) => Promise<IngestSummary>): Promise<IngestSummary> {
  const client = new IngestClient(spec.connection);
  const deadLetterTopic = spec.deadLetterTopic ?? spec.topics.bind(defaultDeadLetterTopic);
  const positionsTopic = spec.topics.bind(ingestPositionsTopic);
  const jobTopics = [{ topic: spec.topic.topic, partitions: spec.topic.partitions }, deadLetterTopic, positionsTopic];
  await dependingOn('kafka', () => client.ensureTopics(jobTopics));
  const sink = await dependingOn('schema registry', () => client.sinkFor(spec.topic));
  return dependingOn('kafka', () =>
    client.withTransactionalProducer(jobTransactionalId(spec.topics, identity.jobId), async (producer) => {
      // After the producer's initialisation (and the settling of anything an earlier run left hanging on the job's
      // partitions): a killed run's open transaction is aborted, so the read ends, and nothing read is undone later.
      const stored = spec.restart ? undefined : await readJobPosition(client.kafka, identity.jobId, positionsTopic.topic);
      const start = startingPoint(identity, stored);
      if (start.finished) {
        spec.log?.(`job ${identity.jobId} already finished (${start.items} inputs, last ${start.lastPosition ?? '-'}): nothing to do; restart it to send everything again`);
        return alreadyFinished(spec, start, deadLetterTopic.topic);
      }
      if (spec.restart) spec.log?.(`job ${identity.jobId}: restarting from the beginning (the stored position is ignored)`);
      else if (start.items > 0) spec.log?.(`job ${identity.jobId}: resuming after ${start.items} inputs (last ${start.lastPosition ?? '-'})`);
      spec.log?.(`${spec.source} → ${spec.topic.topic} (dead letters: ${deadLetterTopic.topic}), job ${identity.jobId}`);
      let latest: TransactionalWriter | undefined;
      const writer = (from: JobPosition = start, stateAt?: (read: number) => Record<string, unknown> | undefined) => {
        latest = new TransactionalWriter({ producer, positionsTopic: positionsTopic.topic, start: from, commitIntervalMs: spec.commitIntervalMs ?? (spec.pace.kind === 'asap' ? BULK_COMMIT_INTERVAL_MS : DEFAULT_COMMIT_INTERVAL_MS), compression: spec.compression, stateAt });
        return latest;
      };
      try {
        const summary = await work({ sink, deadLetterTopic: deadLetterTopic.topic, start, writer });
        const position = latest?.current ?? start;
        const job = { id: identity.jobId, resumedAfter: start.items, lastPosition: position.lastPosition, alreadyFinished: false, totals: position.counts };
        return { ...summary, job };
      } catch (error) {
        await latest?.abandon();
        throw error;
      }
    }, { topics: jobTopics.map((jobTopic) => jobTopic.topic) }),
  );
}

/**
 * Runs a job exactly once into Kafka, resumable: its records and its source position go in
 * the same transactions (transactional id from the job id). On start it fences a killed run
 * of the same job (aborting its open transaction), reads the committed position and resumes
 * after it; a finished job does nothing. Steps that wait for a dependency fail with a
 * DependencyUnavailableError naming it, so the caller can retry the whole job.
 */
export async function runResumable<T extends EventValue>(spec: RunSpec<T>, source: ResumableSource<T>): Promise<IngestSummary> {
  return runJobSession(spec, source, async ({ sink, deadLetterTopic, start, writer: writerFrom }) => {
    const writer = writerFrom();
    const summary = await pump(source.items(start.items, start.input, sink), sink, { ...spec, writer, deadLetterTopic });
    // The closing heartbeats are committed; the position now says whether the job is done.
    await writer.flush(summary.endOfInput);
    return summary;
  });
}
