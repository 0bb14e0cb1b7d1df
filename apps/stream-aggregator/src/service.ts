import { z } from 'zod';
import { DOMAINS, type Domain } from '@pipeline/contracts';
import { heapEnv, kafkaEnv, schemaRegistryEnv, serviceEnv, topicNamespaceEnv } from '@pipeline/config';
import { COMPRESSION_CODECS, kafkaClusterFrom, kafkaDependency, schemaRegistryDependency, schemaRegistryFrom, type CompressionName } from '@pipeline/kafka';
import type { ServiceConfig, ServiceDefinition } from '@pipeline/service-kit';

const domainList = z
  .string()
  .trim()
  .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean))
  .pipe(z.array(z.enum(DOMAINS as [Domain, ...Domain[]], { error: `each entry must be one of ${DOMAINS.join(', ')}` })).min(1));

/** The codecs the Kafka client can use as installed (libs/kafka COMPRESSION_CODECS), the one list of them. */
const COMPRESSION_NAMES = Object.keys(COMPRESSION_CODECS) as [CompressionName, ...CompressionName[]];

const env = {
  ...kafkaEnv,
  ...schemaRegistryEnv,
  ...topicNamespaceEnv,
  HTTP_PORT: serviceEnv.HTTP_PORT.default(3002),
  LOG_LEVEL: serviceEnv.LOG_LEVEL,
  STARTUP_DEADLINE_MS: serviceEnv.STARTUP_DEADLINE_MS,
  ...heapEnv,
  AGGREGATOR_PIPELINES: domainList.default(DOMAINS).describe('pipelines (domains) this instance runs'),
  AGGREGATOR_GROUP_ID: z.string().trim().min(1).default('stream-aggregator').describe('consumer group prefix; names the state changelog too'),
  AGGREGATOR_INSTANCE_ID: z.string().trim().min(1).default('local').describe('name of this replica in logs and client ids (fencing is per input partition)'),
  AGGREGATOR_STALL_AFTER_MS: z.coerce.number().int().min(1000).default(60_000).describe('a partition with lag and no commit for this long turns /health to 503'),
  AGGREGATOR_MAX_BATCH_RECORDS: z.coerce.number().int().min(1).default(50_000).describe('records per transaction at most'),
  AGGREGATOR_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).default(2).describe('input partitions a pipeline handles at once, each in its own transaction (more: a closing window waits less for its partition\'s turn, at the cost of more concurrent transactions)'),
  AGGREGATOR_FETCH_KIB: z.coerce.number().int().min(64).max(16 * 1024).default(1024).describe('KiB a fetch brings per input partition at most (bigger: more events folded per transaction, throughput; smaller: a closing window or an alert waits less behind a large fetch, latency)'),
  AGGREGATOR_COMPRESSION: z.enum(COMPRESSION_NAMES, { error: `must be one of ${COMPRESSION_NAMES.join(', ')}` }).default('none').describe('codec of the outputs and state records it produces (none: least CPU, measured; gzip: less network and disk)'),
  AGGREGATOR_MAX_BATCH_BYTES: z.coerce.number().int().min(1024).default(16 * 1024 * 1024).describe('input bytes per transaction at most'),
};

export type AggregatorConfig = ServiceConfig<typeof env>;

export const streamAggregator: ServiceDefinition<typeof env> = {
  name: 'stream-aggregator',
  env,
  dependencies: (config) => [kafkaDependency(kafkaClusterFrom(config), 'stream-aggregator'), schemaRegistryDependency(schemaRegistryFrom(config))],
};
