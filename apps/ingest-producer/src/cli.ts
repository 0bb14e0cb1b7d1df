import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { destination, pino } from 'pino';
import { applyHeapPolicy, ConfigValidationError, heapEnvDefaulting, kafkaEnv, loadEnvironment, parseEnv, schemaRegistryEnv, serviceEnv, topicNamespaceEnv } from '@pipeline/config';
import { deadLetterTopic, DOMAINS, TopicNamespace } from '@pipeline/contracts';
import {
  BATCHING_DEFAULTS,
  DEFAULT_LATE_BY_MS,
  DeadLetterSelectionError,
  DeadLetterTool,
  formatListing,
  formatReplay,
  formatShown,
  formatSummary,
  INGEST_HEAP_DEFAULTS,
  parseFixes,
  parsePosition,
  shownJson,
  type DeadLetterFilter,
  type DeadLetterQuery,
  parseInjectedTime,
  parsePace,
  ProgressReporter,
  runRetrying,
  writeClickstreamCsv,
  type JobOptions,
  type ProgressSnapshot,
} from '@pipeline/ingest';
import { checkKafkaConnection, kafkaClusterFrom, pinoKafkaLogSink, schemaRegistryFrom, SecureConnectionError } from '@pipeline/kafka';
import { runJob, type JobPlan } from './job-plan';
import { setting } from './settings';

export const USAGE = `Bounded ingest jobs from the command line; each prints a reconciled summary and exits
0 when read = produced + dead-lettered, 3 when not, 2 on bad arguments, 1 on failure.
dlq commands print a short summary and exit 0, 2 on bad arguments, 1 with one line on any other error.
Kafka and the registry come from KAFKA_BROKERS and SCHEMA_REGISTRY_URL and their security settings (env, .env, .stack/stack.env).

  replay   --file <csv> [--domain ${DOMAINS.join('|')}] [--timestamp-column <name> | --inject-time now|<start>/<spacing ms>]
           [--pace asap|rate:<n>|replay:<speed>|batches:<min>-<max>/<s>s] [--passes <n> | --loop] [--parse-on-main-thread]
  generate --domain ${DOMAINS.join('|')} --count <n> [--seed <n>] [--rate <events/s>] [--keys <n>] [--start now|<time>]
           [--jitter-ms <ms>] [--late-fraction <0..1>] [--late-by-ms <ms>] [--pace ...]  (pace default: rate:<rate>)
  poll     --config <json file> [--polls <n>]   GET a JSON API (see README "Polling an API"); default: until Ctrl-C
  sample   --out <file> [--rows <n>] [--invalid-every <n>] [--seed <n>]   deterministic clickstream CSV with broken rows
  dlq list   [filters] [--limit <n>]        dead letters by hour, reason class, source topic and source: counts, offsets
  dlq show   <partition>:<offset> [--json]  one dead letter decoded (Avro through the registry, JSON, text, else hex), all headers
  dlq replay <partition>:<offset>... | [filters] [--limit <n>] | --fixed <file.jsonl>   [--dry-run]
           back to each record's source topic, once (ledger <dead-letter topic>-replays, same transaction);
           --fixed: lines {"partition":0,"offset":"42","value":{...}} validated by the target's contract
  dlq filters: [--reason-class <class>] [--source-topic <topic>] [--since <time>] [--until <time>]
           (time: ISO-8601, epoch ms, now, or ago: 30m, 2h, 7d); every dlq command: [--dead-letter-topic <name>]
  every job: [--topic <name>] [--dead-letter-topic <name>] [--batch-size <n>] [--linger-ms <ms>] [--heartbeat-ms <ms>]
           [--job-id <id>] [--restart] [--dependency-deadline-ms <ms>]
Jobs are exactly once and resumable: run the same command again (same job id; default: file + topic,
or topic + seed) and it continues after the last committed input; a finished job does nothing unless
--restart. An unreachable broker or registry is waited for (with backoff; no limit unless --dependency-deadline-ms).`;

export const CLI_COMMANDS = ['replay', 'generate', 'poll', 'sample', 'dlq', 'help'] as const;
const DLQ_VERBS = ['list', 'show', 'replay'] as const;
type DlqVerb = (typeof DLQ_VERBS)[number];
type CommandName = (typeof CLI_COMMANDS)[number];

export function isCliCommand(argv: readonly string[]): boolean {
  return (CLI_COMMANDS as readonly string[]).includes(argv[0] ?? '');
}

export type CliCommand =
  | { kind: 'run'; job: JobPlan; options: Omit<JobOptions, 'connection' | 'topics' | 'signal' | 'onProgress' | 'log'>; dependencyDeadlineMs?: number }
  | { kind: 'sample'; out: string; rows: number; invalidEvery: number; seed: number }
  | { kind: 'dlq'; deadLetterTopic: string; action: DlqAction }
  | { kind: 'help' };

/** What a `dlq` command does; the fixes file is read when it runs (its problems are the command's error). */
export type DlqAction =
  | { verb: 'list'; query: DeadLetterQuery }
  | { verb: 'show'; position: { partition: number; offset: string }; json: boolean }
  | { verb: 'replay'; query: DeadLetterQuery; fixedFile?: string; dryRun: boolean };

const topicName = z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'is not a valid Kafka topic name');

const jobFlags = {
  '--topic': topicName.optional(),
  '--dead-letter-topic': topicName.optional(),
  '--batch-size': setting.count.default(BATCHING_DEFAULTS.batchSize),
  '--linger-ms': setting.nonNegative.default(BATCHING_DEFAULTS.lingerMs),
  '--heartbeat-ms': setting.count.default(BATCHING_DEFAULTS.heartbeatIntervalMs),
  '--max-disorder-ms': setting.nonNegative.optional(),
  '--pace': setting.pace.optional(),
  '--job-id': setting.name.optional(),
  '--restart': z.boolean().default(false),
  '--dependency-deadline-ms': setting.count.optional(),
};

const flagSchemas = {
  replay: {
    ...jobFlags,
    '--file': setting.csvFile,
    '--domain': setting.domain.default('clickstream'),
    '--timestamp-column': setting.name.default('timestamp'),
    '--inject-time': setting.injectedTime.optional(),
    '--passes': setting.count.optional(),
    '--loop': z.boolean().default(false),
    // Rows are parsed in a worker thread unless told otherwise (INGEST_CSV_WORKER's default).
    '--parse-on-main-thread': z.boolean().default(false),
    // The opt-in of earlier releases, now the default: still accepted, so their scripts keep working.
    '--parse-in-worker': z.boolean().default(false),
  },
  generate: {
    ...jobFlags,
    '--domain': setting.domain,
    '--count': setting.count,
    '--seed': setting.integer.default(1),
    '--rate': setting.positive.default(100),
    '--keys': setting.count.default(20),
    '--start': setting.time.prefault('now'),
    '--jitter-ms': setting.nonNegative.default(0),
    '--late-fraction': setting.fraction.default(0),
    '--late-by-ms': setting.nonNegative.default(DEFAULT_LATE_BY_MS),
  },
  poll: {
    ...jobFlags,
    '--config': setting.pollConfig,
    '--polls': setting.count.optional(),
  },
  sample: {
    '--out': setting.name,
    '--rows': setting.count.default(400),
    '--invalid-every': setting.nonNegative.pipe(z.number().int()).default(40),
    '--seed': setting.integer.default(7),
  },
};

const dlqFilterFlags = {
  '--dead-letter-topic': topicName.optional(),
  '--reason-class': setting.name.optional(),
  '--source-topic': topicName.optional(),
  '--since': setting.pastTime.optional(),
  '--until': setting.pastTime.optional(),
  '--limit': setting.count.optional(),
};

const dlqFlagSchemas = {
  list: dlqFilterFlags,
  show: { '--dead-letter-topic': topicName.optional(), '--json': z.boolean().default(false) },
  replay: { ...dlqFilterFlags, '--fixed': setting.name.optional(), '--dry-run': z.boolean().default(false) },
};

const BOOLEAN_FLAGS = new Set(['loop', 'help', 'restart', 'json', 'dry-run', 'parse-on-main-thread', 'parse-in-worker']);

/** Flags (and positionals) of a command line into `--name` → value; an unknown flag or a stray argument is a ConfigValidationError. */
function flagValues(label: string, args: readonly string[], names: readonly string[], positionals = false): { raw: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: positionals,
      options: Object.fromEntries(names.map((name) => [name, { type: BOOLEAN_FLAGS.has(name) ? 'boolean' : 'string' }] as const)),
    });
    return { raw: Object.fromEntries(Object.entries(parsed.values).map(([name, value]) => [`--${name}`, value])), positionals: parsed.positionals };
  } catch (error) {
    throw new ConfigValidationError(label, [error instanceof Error ? error.message : String(error)]);
  }
}

function parseDlqCommand([verb, ...rest]: readonly string[], topics: TopicNamespace): CliCommand {
  const label = `ingest-producer dlq ${verb ?? ''}`.trim();
  if (!(DLQ_VERBS as readonly (string | undefined)[]).includes(verb)) throw new ConfigValidationError(label, [`say what to do: dlq ${DLQ_VERBS.join('|')}`]);
  const schema = dlqFlagSchemas[verb as DlqVerb];
  const { raw, positionals } = flagValues(label, rest, Object.keys(schema).map((flag) => flag.slice(2)), verb !== 'list');
  const positions = (() => {
    try {
      return positionals.map(parsePosition);
    } catch (error) {
      throw new ConfigValidationError(label, [error instanceof Error ? error.message : String(error)]);
    }
  })();
  if (verb === 'show') {
    const flags = parseEnv(label, dlqFlagSchemas.show, raw);
    if (positions.length !== 1) throw new ConfigValidationError(label, ['name exactly one dead letter: dlq show <partition>:<offset>']);
    return { kind: 'dlq', deadLetterTopic: flags['--dead-letter-topic'] ?? topics.bind(deadLetterTopic).topic, action: { verb: 'show', position: positions[0] as { partition: number; offset: string }, json: flags['--json'] } };
  }
  const flags = parseEnv(label, dlqFlagSchemas.replay, raw);
  const filter: DeadLetterFilter = {
    ...(flags['--reason-class'] !== undefined && { reasonClass: flags['--reason-class'] }),
    ...(flags['--source-topic'] !== undefined && { sourceTopic: flags['--source-topic'] }),
    ...(flags['--since'] !== undefined && { since: flags['--since'] }),
    ...(flags['--until'] !== undefined && { until: flags['--until'] }),
  };
  const query: DeadLetterQuery = { filter, ...(flags['--limit'] !== undefined && { limit: flags['--limit'] }), ...(positions.length > 0 && { positions }) };
  const deadLetters = flags['--dead-letter-topic'] ?? topics.bind(deadLetterTopic).topic;
  if (verb === 'list') return { kind: 'dlq', deadLetterTopic: deadLetters, action: { verb: 'list', query } };
  const selectors = [positions.length > 0, Object.keys(filter).length > 0, flags['--fixed'] !== undefined].filter(Boolean).length;
  // Replaying a whole dead-letter topic by accident would flood the pipeline with what it refused once already.
  if (selectors === 0) throw new ConfigValidationError(label, ['say which dead letters: <partition>:<offset>..., a filter (--reason-class, --source-topic, --since, --until) or --fixed <file.jsonl>']);
  if (flags['--fixed'] !== undefined && selectors > 1) throw new ConfigValidationError(label, ['--fixed names its dead letters itself: no positions or filters with it']);
  return { kind: 'dlq', deadLetterTopic: deadLetters, action: { verb: 'replay', query, dryRun: flags['--dry-run'], ...(flags['--fixed'] !== undefined && { fixedFile: flags['--fixed'] }) } };
}

/** Parses a command line into what to run, its topics in `topics`; throws ConfigValidationError naming each bad flag. */
export function parseCommand(argv: readonly string[], topics: TopicNamespace = TopicNamespace.none): CliCommand {
  const [command, ...rest] = argv as [CommandName, ...string[]];
  if (command === 'help') return { kind: 'help' };
  if (command === 'dlq') return parseDlqCommand(rest, topics);
  const { raw } = flagValues(`ingest-producer ${command}`, rest, Object.keys(flagSchemas[command]).map((flag) => flag.slice(2)));
  switch (command) {
    case 'replay': {
      const flags = parseEnv(`ingest-producer ${command}`, flagSchemas.replay, raw);
      const eventTime = flags['--inject-time'] ? parseInjectedTime(flags['--inject-time']) : { kind: 'column' as const, column: flags['--timestamp-column'] };
      const loop = flags['--loop'] ? true : (flags['--passes'] ?? 1);
      const job: JobPlan = { kind: 'csv', name: flags['--file'], domain: flags['--domain'], file: flags['--file'], eventTime, pace: parsePace(flags['--pace'] ?? 'asap'), loop, topic: flags['--topic'], parseInWorker: !flags['--parse-on-main-thread'] };
      return { kind: 'run', job, options: jobOptions(flags, topics), dependencyDeadlineMs: flags['--dependency-deadline-ms'] };
    }
    case 'generate': {
      const flags = parseEnv(`ingest-producer ${command}`, flagSchemas.generate, raw);
      const options = {
        seed: flags['--seed'],
        ratePerSecond: flags['--rate'],
        keys: flags['--keys'],
        startTime: flags['--start'],
        jitterMs: flags['--jitter-ms'],
        lateFraction: flags['--late-fraction'],
        lateByMs: flags['--late-by-ms'],
      };
      const pace = flags['--pace'] ? parsePace(flags['--pace']) : undefined;
      const job: JobPlan = { kind: 'generator', name: `generator:${flags['--domain']}`, domain: flags['--domain'], options, count: flags['--count'], pace, topic: flags['--topic'] };
      return { kind: 'run', job, options: jobOptions(flags, topics), dependencyDeadlineMs: flags['--dependency-deadline-ms'] };
    }
    case 'poll': {
      const flags = parseEnv(`ingest-producer ${command}`, flagSchemas.poll, raw);
      const config = flags['--config'];
      const job: JobPlan = { kind: 'poll', name: `poll:${config.url}`, domain: config.domain, config, polls: flags['--polls'], topic: flags['--topic'] };
      return { kind: 'run', job, options: jobOptions(flags, topics), dependencyDeadlineMs: flags['--dependency-deadline-ms'] };
    }
    case 'sample': {
      const flags = parseEnv(`ingest-producer ${command}`, flagSchemas.sample, raw);
      return { kind: 'sample', out: flags['--out'], rows: flags['--rows'], invalidEvery: flags['--invalid-every'], seed: flags['--seed'] };
    }
  }
}

function jobOptions(flags: { '--dead-letter-topic'?: string; '--batch-size': number; '--linger-ms': number; '--heartbeat-ms': number; '--max-disorder-ms'?: number; '--job-id'?: string; '--restart': boolean }, topics: TopicNamespace): Omit<JobOptions, 'connection' | 'topics'> {
  const deadLetter = topics.bind(deadLetterTopic);
  return {
    jobId: flags['--job-id'],
    restart: flags['--restart'],
    deadLetterTopic: flags['--dead-letter-topic'] ? { ...deadLetter, topic: flags['--dead-letter-topic'] } : deadLetter,
    batchSize: flags['--batch-size'],
    lingerMs: flags['--linger-ms'],
    heartbeatIntervalMs: flags['--heartbeat-ms'],
    maxDisorderMs: flags['--max-disorder-ms'],
  };
}

/** The topic namespace as the service would see it (PIPELINE_TOPIC_NAMESPACE: process env, then .env, then the local stack's endpoints). */
function topicsFromEnv(): TopicNamespace {
  return TopicNamespace.of(parseEnv('ingest-producer', topicNamespaceEnv, loadEnvironment()).PIPELINE_TOPIC_NAMESPACE);
}

/** Broker and registry as the service would see them: process env, then .env, then the local stack's endpoints. */
function connectionFromEnv(): JobOptions['connection'] {
  const env = parseEnv('ingest-producer', { ...kafkaEnv, ...schemaRegistryEnv, LOG_LEVEL: serviceEnv.LOG_LEVEL }, loadEnvironment());
  // The client's own lines as the service logs them (pino JSON, LOG_LEVEL), on stderr beside the progress; synchronous, so none is lost at exit.
  const logger = pino({ name: 'ingest-producer-cli', level: env.LOG_LEVEL }, destination({ fd: 2, sync: true }));
  return { kafka: kafkaClusterFrom(env), registry: schemaRegistryFrom(env), clientId: 'ingest-producer-cli', log: pinoKafkaLogSink(logger) };
}

/** Runs a `dlq` command against the configured cluster; resolves with what it prints. */
async function runDlq(deadLetters: string, action: DlqAction, topics: TopicNamespace): Promise<string> {
  const connection = connectionFromEnv();
  // One attempt first, so a wrong password is one line instead of the client's retries.
  await checkKafkaConnection(connection.kafka, 'ingest-producer-dlq').catch((error: unknown) => {
    if (error instanceof SecureConnectionError) throw error;
  });
  const tool = new DeadLetterTool({ ...connection, clientId: 'ingest-producer-dlq' }, deadLetters, topics);
  switch (action.verb) {
    case 'list':
      return formatListing(await tool.list(action.query));
    case 'show': {
      const shown = await tool.show(action.position);
      return action.json ? shownJson(shown) : formatShown(shown);
    }
    case 'replay': {
      const fixes = action.fixedFile === undefined ? undefined : parseFixes(await readFixesFile(action.fixedFile), action.fixedFile);
      return formatReplay(await tool.replay({ ...action.query, ...(fixes && { fixes }), dryRun: action.dryRun }));
    }
  }
}

async function readFixesFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new DeadLetterSelectionError(`cannot read the fixes file ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Runs a command line to its end; resolves with the process exit code. Ctrl-C stops a job gracefully (a second one exits at once). */
export async function runCli(argv: readonly string[], output: { out: NodeJS.WriteStream; err: NodeJS.WriteStream } = { out: process.stdout, err: process.stderr }): Promise<number> {
  let command: CliCommand;
  let topics: TopicNamespace;
  try {
    topics = topicsFromEnv();
    command = parseCommand(argv, topics);
    // The service's heap policy (HEAP_GROWTH_PERCENT, HEAP_PRETENURING) for the CLI's jobs too: a replay's RSS stays near its byte budget.
    applyHeapPolicy(parseEnv('ingest-producer', heapEnvDefaulting(INGEST_HEAP_DEFAULTS), loadEnvironment()));
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    output.err.write(`${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  try {
    if (command.kind === 'help') {
      output.out.write(`${USAGE}\n`);
      return 0;
    }
    if (command.kind === 'sample') {
      const written = await writeClickstreamCsv(command.out, { rows: command.rows, invalidEvery: command.invalidEvery, seed: command.seed });
      output.out.write(`wrote ${written.rows} rows (${written.brokenRows} broken on purpose) to ${written.file}\n`);
      return 0;
    }
    if (command.kind === 'dlq') {
      output.out.write(`${await runDlq(command.deadLetterTopic, command.action, topics)}\n`);
      return 0;
    }
    const stop = new AbortController();
    const interrupt = () => (stop.signal.aborted ? process.exit(130) : stop.abort());
    process.on('SIGINT', interrupt);
    const reporter = new ProgressReporter({ stream: output.err });
    try {
      const log = (line: string) => output.err.write(`${line}\n`);
      const connection = connectionFromEnv();
      // One attempt first: a wrong password or an untrusted certificate is one line now, not a minute of
      // retries; other failures (a broker still starting) are left to the job's retries.
      await checkKafkaConnection(connection.kafka, 'ingest-producer-cli').catch((error: unknown) => {
        if (error instanceof SecureConnectionError) throw error;
      });
      const options = { ...command.options, connection, topics, signal: stop.signal, onProgress: (snapshot: ProgressSnapshot) => reporter.update(snapshot), log };
      // An outage is waited out; each retry resumes from the job's committed position.
      const retrying = { deadlineMs: command.dependencyDeadlineMs, signal: stop.signal, onWaiting: (waitingFor: string, retryInMs: number) => log(`${waitingFor}; retrying in ${Math.round(retryInMs)} ms`) };
      const summary = await runRetrying(() => runJob(command.job, options), retrying);
      reporter.finish(summary);
      output.out.write(`${formatSummary(summary)}\n`);
      return summary.reconciled ? 0 : 3;
    } finally {
      process.off('SIGINT', interrupt);
    }
  } catch (error) {
    output.err.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
