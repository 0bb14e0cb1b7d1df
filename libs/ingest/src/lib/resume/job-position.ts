import type { PlainTopicDefinition, TopicNamespace } from '@pipeline/contracts';
import { readPartitionsToEnd, type Kafka, type Message } from '@pipeline/kafka';

/**
 * Where every resumable ingest job of a namespace keeps its position: compacted, keyed by
 * job id, written only inside the job's transactions (so read_committed it is always the
 * position of what is on the event topic). One partition: it holds one small record per job.
 */
export const ingestPositionsTopic: PlainTopicDefinition = {
  name: 'pipeline.ingest-positions',
  partitions: 1,
  config: { 'cleanup.policy': 'compact', 'segment.ms': '600000', 'min.cleanable.dirty.ratio': '0.1' },
};

/** Inputs a job has committed: the counts of every run so far. */
export interface CommittedCounts {
  read: number;
  produced: number;
  deadLettered: number;
}

/** The committed position of one job, the value of its record on the positions topic. */
export interface JobPosition {
  version: 1;
  jobId: string;
  /** What makes the job what it is (topic, contract, event-time source, generator options); a re-run must match it. */
  definition: Record<string, unknown>;
  /** The input it reads: a file's size and fingerprint, a generator's timeline start. */
  input: Record<string, unknown>;
  /** Inputs taken from the source, in source order, whose records are committed: a resumed run skips this many. */
  items: number;
  /** Position of the last committed input (a CSV line, a generator index), for people. */
  lastPosition: string | null;
  /** The source ended and its END_OF_INPUT heartbeats are committed: a re-run has nothing to do. */
  finished: boolean;
  /** A source's own resume point beyond a count of inputs (a poll job's next request, validators, recently seen ids). */
  state?: Record<string, unknown>;
  counts: CommittedCounts;
  updatedAt: string;
}

/**
 * The transactional id of a job: derived from its id (and the namespace, since transactional
 * ids are cluster-wide), so a restarted job fences the run it replaces and aborts its open transaction.
 */
export function jobTransactionalId(topics: TopicNamespace, jobId: string): string {
  return `${topics.prefix}ingest-job:${jobId}`;
}

export function positionMessage(position: JobPosition): Message {
  return { key: position.jobId, value: JSON.stringify(position) };
}

export class JobPositionError extends Error {
  readonly retriable = false;
  readonly reasonClass = 'job-position';
  constructor(
    readonly jobId: string,
    reason: string,
  ) {
    super(`job "${jobId}": ${reason}`);
    this.name = 'JobPositionError';
  }
}

function parsePosition(jobId: string, value: Buffer): JobPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (error) {
    throw new JobPositionError(jobId, `its stored position is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const position = parsed as Partial<JobPosition>;
  if (position.version !== 1 || typeof position.items !== 'number' || typeof position.finished !== 'boolean') {
    throw new JobPositionError(jobId, `its stored position has an unknown shape (version ${String(position.version)})`);
  }
  return position as JobPosition;
}

/**
 * The latest committed position of a job, read read_committed to the end of the positions
 * topic; undefined for a job never run (or deleted with a tombstone). Call it only after the
 * job's transactional producer is initialised: that aborts a killed run's open transaction,
 * which would otherwise hold the read back.
 */
export async function readJobPosition(kafka: Kafka, jobId: string, topic: string): Promise<JobPosition | undefined> {
  let latest: Buffer | null | undefined;
  await readPartitionsToEnd(kafka, topic, [0], (record) => {
    if (record.key?.toString('utf8') === jobId) latest = record.value;
  });
  return latest ? parsePosition(jobId, latest) : undefined;
}
