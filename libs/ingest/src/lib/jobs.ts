import { resolve } from 'node:path';
import { eventTopics, type Domain, type TopicNamespace } from '@pipeline/contracts';
import { csvReplayItemChunks, type CsvReplaySourceOptions } from './csv/csv-replay-source';
import { csvReplayItemsInWorker, csvWorkerPlan } from './csv/csv-worker-source';
import { describeEventTime, EVENT_TIME_FIELD, type EventTimeSource } from './event-time';
import { GENERATORS, take } from './generators';
import type { GeneratorOptions } from './generators/timeline';
import { formatPace, ReplayPaceError, type Pace } from './pacing';
import type { IngestSummary } from './publish/summary';
import { fileChange, fileIdentity } from './resume/file-identity';
import { runResumable, type JobOptions } from './resume/resumable-run';
import { admitParsed, type EventTopic, type EventValue, type SourceItem } from './source';

export type { JobOptions } from './resume/resumable-run';

export interface CsvReplayJob<T extends EventValue> extends JobOptions {
  topic: EventTopic<T>;
  file: string;
  /** Default: the `timestamp` column. */
  eventTime?: EventTimeSource;
  /** Default `asap`. */
  pace?: Pace;
  /** Seeds the random batch sizes of the `batches` pace. Default 1. */
  paceSeed?: number;
  /** false (default): one pass, ending with END_OF_INPUT; true: loop until stopped; n: n passes. */
  loop?: boolean | number;
  /** The dead-letter source header; default the file path. */
  source?: string;
  /**
   * Parse, validate and encode the rows in a worker thread while the main thread sends (default false here; the
   * ingest-producer's INGEST_CSV_WORKER defaults to true). It applies to catalog domains with a column or synthetic
   * event time and a bundled worker (csvWorkerPlan); 'bundle-or-source' also runs the worker from its TypeScript
   * source, for this lib's tests of it (CsvWorkerSource says why not otherwise).
   */
  parseInWorker?: boolean | 'bundle-or-source';
}

function passesOf(loop: boolean | number | undefined): number {
  if (loop === true) return Infinity;
  if (loop === false || loop === undefined) return 1;
  if (!Number.isInteger(loop) || loop < 1) throw new RangeError(`loop must be true, false or a positive number of passes, got ${loop}`);
  return loop;
}

/** The job id a replay gets unless given one: the file's absolute path and the topic. */
export function defaultReplayJobId(file: string, topic: string): string {
  return `replay:${resolve(file)}>${topic}`;
}

/** The job id a generator run gets unless given one: the topic and the seed. */
export function defaultGeneratorJobId(topic: string, seed: number): string {
  return `generate:${topic}:seed=${seed}`;
}

/**
 * Replays a CSV file to the topic: streamed with csv-parse (constant memory), every row
 * validated against the contract (invalid ones to the dead-letter topic with reason, source
 * and line), paced, batched, with watermark heartbeats; a single pass ends with END_OF_INPUT.
 * Exactly once and resumable: re-run with the same job id, it continues after the last
 * committed row (a changed file is refused). Resolves with the reconciled summary.
 */
export async function replayCsvFile<T extends EventValue>(job: CsvReplayJob<T>): Promise<IngestSummary> {
  const eventTime = job.eventTime ?? { kind: 'column', column: EVENT_TIME_FIELD };
  const pace = job.pace ?? { kind: 'asap' };
  if (pace.kind === 'replay' && eventTime.kind === 'now') throw new ReplayPaceError();
  const passes = passesOf(job.loop);
  const source = job.source ?? job.file;
  const identity = await fileIdentity(job.file);
  return runResumable(
    { ...job, pace, source, endOfInput: passes !== Infinity },
    {
      jobId: job.jobId ?? defaultReplayJobId(job.file, job.topic.topic),
      definition: { kind: 'csv', topic: job.topic.topic, contract: job.topic.contract.name, eventTime, passes: passes === Infinity ? 'loop' : passes },
      input: { ...identity },
      inputChange: (stored) => fileChange(stored, identity),
      items: (skip, _input, sink) => {
        const options: CsvReplaySourceOptions<T> = {
          file: job.file,
          contract: job.topic.contract,
          eventTime,
          passes,
          skip,
          onLayout: (layout) => {
            job.log?.(`${source}: event time from ${describeEventTime(eventTime)}${passes > 1 ? `, ${passes === Infinity ? 'looping' : `${passes} passes`}` : ''}, pace ${formatPace(pace)}`);
            if (layout.ignoredColumns.length > 0) job.log?.(`${source}: ignoring columns ${layout.ignoredColumns.join(', ')} (not in ${job.topic.contract.name})`);
          },
        };
        const plan = job.parseInWorker ? csvWorkerPlan(job.topic, eventTime, sink.schemaId, job.parseInWorker === 'bundle-or-source' ? 'bundle-or-source' : 'bundle') : undefined;
        if (job.parseInWorker && !plan) job.log?.(`${source}: rows parsed on the main thread: a worker thread needs a catalog topic with its own key, an event time not injected at send, and csv-worker.js beside the bundle`);
        return plan ? csvReplayItemsInWorker(options, plan) : csvReplayItemChunks(options);
      },
    },
  );
}

export interface GeneratorJob<T extends EventValue> extends JobOptions {
  topic: EventTopic<T>;
  /** E.g. `clickstreamSessions`; its values are validated against the topic's contract like any input. */
  generator: (options: GeneratorOptions) => Iterable<T>;
  options: GeneratorOptions;
  /** Events to send; default endless (until the signal aborts). A bounded run ends with END_OF_INPUT. */
  count?: number;
  /** Default `rate:<options.ratePerSecond>`, so event time and processing time advance together. */
  pace?: Pace;
  /** Default `generator:<contract name>`. */
  source?: string;
}

/**
 * Runs a seeded generator to the topic; resolves with the reconciled summary when `count`
 * events are sent or the signal aborts. Exactly once and resumable: re-run with the same job
 * id, it skips the events committed before and continues the same seeded stream, on the
 * first run's timeline (its start time is kept in the position).
 */
export async function runGenerator<T extends EventValue>(job: GeneratorJob<T>): Promise<IngestSummary> {
  const count = job.count ?? Infinity;
  const contract = job.topic.contract;
  const { startTime, ...options } = job.options;
  const items = function* (skip: number, input: Record<string, unknown>): Generator<SourceItem<T>> {
    const timeline = typeof input['startTime'] === 'number' ? input['startTime'] : startTime;
    let index = 0;
    for (const event of take(job.generator({ ...job.options, startTime: timeline }), count)) {
      index += 1;
      // Generated and dropped: the seeded stream must be replayed to reach event n.
      if (index <= skip) continue;
      const admission = admitParsed(() => contract.parse(event), () => event);
      yield { position: String(index), eventTime: admission.accepted ? admission.value.timestamp : undefined, admit: () => admission };
    }
  };
  const pace = job.pace ?? { kind: 'rate', perSecond: job.options.ratePerSecond };
  return runResumable(
    { ...job, pace, paceSeed: job.options.seed, source: job.source ?? `generator:${contract.name}`, endOfInput: count !== Infinity },
    {
      jobId: job.jobId ?? defaultGeneratorJobId(job.topic.topic, job.options.seed),
      definition: { kind: 'generator', topic: job.topic.topic, contract: contract.name, ...options, count: count === Infinity ? 'endless' : count },
      input: { startTime },
      items,
    },
  );
}

/** Runs `work` with a domain's event topic (in the run's namespace) and generator, each typed by its own contract. */
export function forDomain<R>(domain: Domain, topics: TopicNamespace, work: <T extends EventValue>(topic: EventTopic<T>, generator: (options: GeneratorOptions) => Iterable<T>) => R): R {
  switch (domain) {
    case 'iot':
      return work(topics.bind(eventTopics.iot), GENERATORS.iot);
    case 'clickstream':
      return work(topics.bind(eventTopics.clickstream), GENERATORS.clickstream);
    case 'transit':
      return work(topics.bind(eventTopics.transit), GENERATORS.transit);
  }
}
