import { ConfigValidationError } from '@pipeline/config';
import { DOMAINS, type Domain } from '@pipeline/contracts';
import {
  forDomain,
  parseInjectedTime,
  parsePace,
  renamedTopic,
  pollTuningOf,
  replayCsvFile,
  runGenerator,
  runPollJob,
  type BatchingOptions,
  type DisorderOptions,
  type EventTimeSource,
  type GeneratorOptions,
  type IngestSummary,
  type JobOptions,
  type Pace,
  type PollConfig,
} from '@pipeline/ingest';
import type { IngestProducerConfig } from './service';

interface JobTarget {
  name: string;
  domain: Domain;
  /** Another topic than the domain's (a test run's, a replay's own). */
  topic?: string;
}

export type JobPlan =
  | (JobTarget & { kind: 'csv'; file: string; eventTime: EventTimeSource; pace: Pace; loop: boolean | number; parseInWorker?: boolean })
  | (JobTarget & { kind: 'generator'; options: GeneratorOptions; count?: number; pace?: Pace })
  | (JobTarget & { kind: 'poll'; config: PollConfig; polls?: number });

export interface IngestPlan {
  jobs: JobPlan[];
  batching: Required<BatchingOptions> & DisorderOptions;
}

/**
 * The jobs the environment asks for. Generators default to every domain unless a CSV file
 * is replayed. A single-pass replay ends with END_OF_INPUT heartbeats, which close every
 * window of its topic for good, so it cannot share a domain with a generator.
 */
export function planJobs(config: IngestProducerConfig, now: number): IngestPlan {
  const jobs: JobPlan[] = [];
  const file = config.INGEST_CSV_FILE;
  if (file) {
    const eventTime: EventTimeSource = config.INGEST_INJECT_TIME ? parseInjectedTime(config.INGEST_INJECT_TIME) : { kind: 'column', column: config.INGEST_TIMESTAMP_COLUMN };
    const pace = parsePace(config.INGEST_PACE);
    if (pace.kind === 'replay' && eventTime.kind === 'now') {
      throw new ConfigValidationError('ingest-producer', ['INGEST_PACE: replay pacing needs event times from a column; unset INGEST_INJECT_TIME or pick another pace']);
    }
    jobs.push({ kind: 'csv', name: `csv:${file}`, domain: config.INGEST_CSV_DOMAIN, file, eventTime, pace, loop: config.INGEST_LOOP, parseInWorker: config.INGEST_CSV_WORKER });
  }
  const poll = config.INGEST_POLL_CONFIG;
  if (poll) {
    if (file && !config.INGEST_LOOP && poll.domain === config.INGEST_CSV_DOMAIN) {
      throw new ConfigValidationError('ingest-producer', [`INGEST_POLL_CONFIG: polling ${poll.domain} cannot run beside a single-pass replay of ${poll.domain} (its END_OF_INPUT heartbeats would make every later event late)`]);
    }
    jobs.push({ kind: 'poll', name: `poll:${poll.url}`, domain: poll.domain, config: poll });
  }
  const generators = config.INGEST_GENERATORS ?? (file || poll ? [] : DOMAINS);
  if (file && !config.INGEST_LOOP && generators.includes(config.INGEST_CSV_DOMAIN)) {
    throw new ConfigValidationError('ingest-producer', [
      `INGEST_GENERATORS: the ${config.INGEST_CSV_DOMAIN} generator cannot run beside a single-pass replay of ${config.INGEST_CSV_DOMAIN} (its END_OF_INPUT heartbeats would make every later event late); drop it, or set INGEST_LOOP=true`,
    ]);
  }
  for (const domain of generators) {
    jobs.push({
      kind: 'generator',
      name: `generator:${domain}`,
      domain,
      options: {
        // Each domain draws its own stream from the one seed.
        seed: config.GENERATOR_SEED + DOMAINS.indexOf(domain),
        ratePerSecond: config.GENERATOR_RATE,
        keys: config.GENERATOR_KEYS,
        startTime: now,
        jitterMs: config.GENERATOR_JITTER_MS,
        lateFraction: config.GENERATOR_LATE_FRACTION,
        lateByMs: config.GENERATOR_LATE_BY_MS,
      },
    });
  }
  return { jobs, batching: { batchSize: config.INGEST_BATCH_SIZE, lingerMs: config.INGEST_LINGER_MS, heartbeatIntervalMs: config.INGEST_HEARTBEAT_MS, maxDisorderMs: config.INGEST_MAX_DISORDER_MS } };
}

/** Runs one planned job to its end (or until `options.signal` aborts) and resolves with its summary. */
export function runJob(job: JobPlan, options: JobOptions): Promise<IngestSummary> {
  return forDomain(job.domain, options.topics, (domainTopic, generator) => {
    const topic = job.topic ? renamedTopic(domainTopic, job.topic) : domainTopic;
    if (job.kind === 'csv') return replayCsvFile({ ...options, topic, file: job.file, eventTime: job.eventTime, pace: job.pace, loop: job.loop, parseInWorker: job.parseInWorker });
    if (job.kind === 'poll') {
      // A poll is one pump run per poll: a disorder bound could not be enforced across polls.
      const { maxDisorderMs: _unenforceable, ...pollOptions } = options;
      return runPollJob({ ...pollOptions, ...pollTuningOf(job.config), topic, api: job.config, polls: job.polls, source: job.name });
    }
    return runGenerator({ ...options, topic, generator, options: job.options, count: job.count, pace: job.pace, source: job.name });
  });
}
