import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { createPipelineServer, type RunnerCounters } from '@pipeline/aggregator';
import { createKafkaClient, createSchemaRegistry, kafkaClusterFrom, schemaRegistryFrom } from '@pipeline/kafka';
import { TopicNamespace } from '@pipeline/contracts';
import { pipelines } from '@pipeline/pipelines';
import { HealthContributors, kafkaLogSink, SERVICE_CONFIG } from '@pipeline/service-kit';
import type { KafkaStreamServer } from '@pipeline/streaming';
import type { AggregatorConfig } from './service';

interface PipelineServer {
  name: string;
  counters: RunnerCounters;
  server: KafkaStreamServer;
}

/**
 * One stream server per configured pipeline (main.ts connects each as a Nest transport).
 * /health reports each pipeline's partitions; SIGTERM lets each finish its transaction.
 */
@Injectable()
export class AggregatorService implements OnApplicationShutdown {
  private readonly logger = new Logger('stream-aggregator');
  readonly pipelines: PipelineServer[];

  constructor(@Inject(SERVICE_CONFIG) config: AggregatorConfig, health: HealthContributors, topics: TopicNamespace) {
    const kafka = createKafkaClient({ ...kafkaClusterFrom(config), clientId: `stream-aggregator.${config.AGGREGATOR_INSTANCE_ID}`, log: kafkaLogSink() });
    const registry = createSchemaRegistry(schemaRegistryFrom(config));
    const logger = {
      log: (message: string, context?: Record<string, unknown>) => this.logger.log({ msg: message, ...context }),
      warn: (message: string, context?: Record<string, unknown>) => this.logger.warn({ msg: message, ...context }),
      error: (message: string, context?: Record<string, unknown>) => this.logger.error({ msg: message, ...context }),
    };
    this.pipelines = config.AGGREGATOR_PIPELINES.map((domain) =>
      pipelines[domain].use(topics, (definition) => {
        const { server, handler } = createPipelineServer(kafka, registry, definition, {
          groupId: config.AGGREGATOR_GROUP_ID,
          logger,
          stallAfterMs: config.AGGREGATOR_STALL_AFTER_MS,
          partitionsConsumedConcurrently: config.AGGREGATOR_PARTITIONS_CONCURRENTLY,
          fetchBytesPerPartition: config.AGGREGATOR_FETCH_KIB * 1024,
          compression: config.AGGREGATOR_COMPRESSION,
          limits: { maxRecords: config.AGGREGATOR_MAX_BATCH_RECORDS, maxBytes: config.AGGREGATOR_MAX_BATCH_BYTES },
        });
        health.add({ name: `pipeline:${definition.name}`, health: () => server.health() });
        return { name: definition.name, counters: handler.counters, server };
      }),
    );
  }

  onApplicationShutdown(): void {
    for (const pipeline of this.pipelines) this.logger.log({ msg: `pipeline ${pipeline.name} stopped`, ...pipeline.counters });
  }
}
