import { deadLetterTopic as defaultDeadLetterTopic, eventTopics, type Domain } from '@pipeline/contracts';
import type { TopicSpec } from '@pipeline/kafka';
import { csvReplayItems } from './csv/csv-replay-source';
import { describeEventTime, EVENT_TIME_FIELD, type EventTimeSource } from './event-time';
import { GENERATORS, take } from './generators';
import type { GeneratorOptions } from './generators/timeline';
import { formatPace, ReplayPaceError, type Pace } from './pacing';
import { IngestClient, type IngestConnection } from './publish/ingest-client';
import { pump, type BatchingOptions, type DisorderOptions } from './publish/pump';
import type { IngestSummary, ProgressSnapshot } from './publish/summary';
import { admitParsed, type EventTopic, type EventValue, type SourceItem } from './source';

/** What every ingestion job takes besides its source. */
export interface JobOptions extends BatchingOptions, DisorderOptions {
  connection: IngestConnection;
  /** Default: `pipeline.dead-letter` (3 partitions). */
  deadLetterTopic?: TopicSpec;
  /** Stops the job early: what was read is still sent, and heartbeats at the highest event time. */
  signal?: AbortSignal;
  /** Called after every acknowledged send and at the end (e.g. a ProgressReporter's update). */
  onProgress?: (snapshot: ProgressSnapshot) => void;
  /** Informational lines (layout of a file, what a job is about to do). */
  log?: (line: string) => void;
}

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
}

async function run<T extends EventValue>(
  job: JobOptions & { topic: EventTopic<T>; pace: Pace; paceSeed?: number; source: string; endOfInput: boolean },
  items: AsyncIterable<SourceItem<T>> | Iterable<SourceItem<T>>,
): Promise<IngestSummary> {
  const client = new IngestClient(job.connection);
  const deadLetterTopic = job.deadLetterTopic ?? defaultDeadLetterTopic;
  const sink = await client.prepare(job.topic, deadLetterTopic);
  job.log?.(`${job.source} → ${job.topic.topic} (dead letters: ${deadLetterTopic.topic}), pace ${formatPace(job.pace)}`);
  return client.withProducer((producer) => pump(items, sink, { ...job, producer, deadLetterTopic: deadLetterTopic.topic }));
}

function passesOf(loop: boolean | number | undefined): number {
  if (loop === true) return Infinity;
  if (loop === false || loop === undefined) return 1;
  if (!Number.isInteger(loop) || loop < 1) throw new RangeError(`loop must be true, false or a positive number of passes, got ${loop}`);
  return loop;
}

/**
 * Replays a CSV file to the topic: streamed with csv-parse (constant memory), every row
 * validated against the contract (invalid ones to the dead-letter topic with reason, source
 * and line), paced, batched, with watermark heartbeats; a single pass ends with END_OF_INPUT.
 * Resolves with the reconciled summary.
 */
export async function replayCsvFile<T extends EventValue>(job: CsvReplayJob<T>): Promise<IngestSummary> {
  const eventTime = job.eventTime ?? { kind: 'column', column: EVENT_TIME_FIELD };
  const pace = job.pace ?? { kind: 'asap' };
  if (pace.kind === 'replay' && eventTime.kind === 'now') throw new ReplayPaceError();
  const passes = passesOf(job.loop);
  const source = job.source ?? job.file;
  const items = csvReplayItems({
    file: job.file,
    contract: job.topic.contract,
    eventTime,
    passes,
    onLayout: (layout) => {
      job.log?.(`${source}: event time from ${describeEventTime(eventTime)}${passes > 1 ? `, ${passes === Infinity ? 'looping' : `${passes} passes`}` : ''}`);
      if (layout.ignoredColumns.length > 0) job.log?.(`${source}: ignoring columns ${layout.ignoredColumns.join(', ')} (not in ${job.topic.contract.name})`);
    },
  });
  return run({ ...job, pace, source, endOfInput: passes !== Infinity }, items);
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

/** Runs a seeded generator to the topic; resolves with the reconciled summary when `count` events are sent or the signal aborts. */
export async function runGenerator<T extends EventValue>(job: GeneratorJob<T>): Promise<IngestSummary> {
  const count = job.count ?? Infinity;
  const contract = job.topic.contract;
  const items = function* (): Generator<SourceItem<T>> {
    let index = 0;
    for (const event of take(job.generator(job.options), count)) {
      index += 1;
      const admission = admitParsed(() => contract.parse(event), () => event);
      yield { position: String(index), eventTime: admission.accepted ? admission.value.timestamp : undefined, admit: () => admission };
    }
  };
  const pace = job.pace ?? { kind: 'rate', perSecond: job.options.ratePerSecond };
  return run({ ...job, pace, paceSeed: job.options.seed, source: job.source ?? `generator:${contract.name}`, endOfInput: count !== Infinity }, items());
}

/** Runs `work` with a domain's event topic and generator, each typed by its own contract. */
export function forDomain<R>(domain: Domain, work: <T extends EventValue>(topic: EventTopic<T>, generator: (options: GeneratorOptions) => Iterable<T>) => R): R {
  switch (domain) {
    case 'iot':
      return work(eventTopics.iot, GENERATORS.iot);
    case 'clickstream':
      return work(eventTopics.clickstream, GENERATORS.clickstream);
    case 'transit':
      return work(eventTopics.transit, GENERATORS.transit);
  }
}
