import { heapEnvDefaulting, httpServerEnv, kafkaEnv, schemaRegistryEnv, serviceEnv, topicNamespaceEnv, webhookEnv } from '@pipeline/config';
import { BATCHING_DEFAULTS, DEFAULT_LATE_BY_MS, INGEST_HEAP_DEFAULTS } from '@pipeline/ingest';
import { kafkaClusterFrom, kafkaDependency, schemaRegistryDependency, schemaRegistryFrom } from '@pipeline/kafka';
import type { ServiceConfig, ServiceDefinition } from '@pipeline/service-kit';
import { jobBoard } from './job-board';
import { setting } from './settings';

const env = {
  ...kafkaEnv,
  ...schemaRegistryEnv,
  ...topicNamespaceEnv,
  HTTP_PORT: serviceEnv.HTTP_PORT.default(3001),
  LOG_LEVEL: serviceEnv.LOG_LEVEL,
  ...heapEnvDefaulting(INGEST_HEAP_DEFAULTS),
  ...httpServerEnv,
  ...webhookEnv,
  INGEST_CSV_FILE: setting.csvFile.optional().describe('CSV file to replay (unset: no replay)'),
  INGEST_CSV_DOMAIN: setting.domain.default('clickstream').describe('contract and topic of the replayed rows'),
  INGEST_TIMESTAMP_COLUMN: setting.name.default('timestamp').describe('column holding the event time'),
  INGEST_INJECT_TIME: setting.injectedTime.optional().describe('inject event times instead: now, or <start>/<spacing ms>'),
  INGEST_PACE: setting.pace.default('batches:500-1000/5s'),
  INGEST_LOOP: setting.flag.default(false).describe('replay the file again and again, event times shifted forward each pass'),
  INGEST_CSV_WORKER: setting.flag.default(true).describe('parse, validate and encode the replayed rows in a worker thread while the main thread sends; false: all on the main thread (slower, about 50 MiB less memory)'),
  INGEST_POLL_CONFIG: setting.pollConfig.optional().describe('JSON file configuring an API polling job (unset: no polling)'),
  INGEST_GENERATORS: setting.domains.optional().describe('generators to run: comma list of domains or none (default: all, unless a CSV file is replayed or an API polled)'),
  GENERATOR_SEED: setting.integer.default(1),
  GENERATOR_RATE: setting.positive.default(20).describe('events per second of each generator'),
  GENERATOR_KEYS: setting.count.default(20).describe('sensors / concurrent sessions / turnstiles per generator'),
  GENERATOR_JITTER_MS: setting.nonNegative.default(0).describe('out-of-order jitter: event times move back up to this many ms'),
  GENERATOR_LATE_FRACTION: setting.fraction.default(0).describe('fraction of events sent late'),
  GENERATOR_LATE_BY_MS: setting.nonNegative.default(DEFAULT_LATE_BY_MS).describe('how late a late event is'),
  INGEST_BATCH_SIZE: setting.count.default(BATCHING_DEFAULTS.batchSize),
  INGEST_LINGER_MS: setting.nonNegative.default(BATCHING_DEFAULTS.lingerMs),
  INGEST_COMMIT_INTERVAL_MS: setting.count.optional().describe('longest time a record waits in an open ingest transaction (invisible to read-committed readers), ms (default 100; 1000 for the asap pace)'),
  INGEST_HEARTBEAT_MS: setting.count.default(BATCHING_DEFAULTS.heartbeatIntervalMs).describe('watermark heartbeat interval'),
  INGEST_MAX_DISORDER_MS: setting.nonNegative.optional().describe('declared disorder bound of every source, ms: older events are dead-lettered at the source, and heartbeats may then claim (highest event time − bound) on every partition (default: none; each partition hears only its own progress)'),
  INGEST_PROGRESS_MS: setting.count.default(10_000).describe('progress log line interval'),
  INGEST_RESTART: setting.flag.default(false).describe('start every job from the beginning, ignoring its committed position'),
  INGEST_DEPENDENCY_DEADLINE_MS: setting.count.optional().describe('longest a job waits for Kafka or the registry in one stretch before it fails (default: no limit)'),
};

export type IngestProducerConfig = ServiceConfig<typeof env>;

export const ingestProducer: ServiceDefinition<typeof env> = {
  name: 'ingest-producer',
  env,
  dependencies: (config) => [kafkaDependency(kafkaClusterFrom(config), 'ingest-producer'), schemaRegistryDependency(schemaRegistryFrom(config)), jobBoard.healthCheck()],
};
