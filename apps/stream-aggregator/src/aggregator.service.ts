import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { PipelineRunner, type RunnerCounters } from '@pipeline/aggregator';
import { createKafkaClient, createSchemaRegistry, parseBrokerList } from '@pipeline/kafka';
import { pipelines } from '@pipeline/pipelines';
import { exposeCounters, SERVICE_CONFIG } from '@pipeline/service-kit';
import type { AggregatorConfig } from './service';

interface RunningPipeline {
  name: string;
  counters: RunnerCounters;
  stop(): Promise<void>;
}

/** Starts one runner per configured pipeline after boot; SIGTERM lets each finish its transaction. */
@Injectable()
export class AggregatorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('stream-aggregator');
  private running: RunningPipeline[] = [];

  constructor(@Inject(SERVICE_CONFIG) private readonly config: AggregatorConfig) {}

  async onApplicationBootstrap(): Promise<void> {
    const kafka = createKafkaClient({ brokers: parseBrokerList(this.config.KAFKA_BROKERS), clientId: 'stream-aggregator' });
    const registry = createSchemaRegistry(this.config.SCHEMA_REGISTRY_URL);
    const options = {
      groupId: this.config.AGGREGATOR_GROUP_ID,
      instanceId: this.config.AGGREGATOR_INSTANCE_ID,
      log: (message: string, context?: Record<string, unknown>) => this.logger.log({ msg: message, ...context }),
    };
    this.running = await Promise.all(
      this.config.AGGREGATOR_PIPELINES.map((domain) =>
        pipelines[domain].use(async (definition) => {
          const runner = new PipelineRunner(kafka, registry, definition, options);
          await runner.start();
          return { name: definition.name, counters: runner.counters, stop: () => runner.stop() };
        }),
      ),
    );
    exposeCounters('aggregator', 'pipeline', () => this.running.map((pipeline) => ({ label: pipeline.name, counters: { ...pipeline.counters } })));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.running.map((pipeline) => pipeline.stop()));
    for (const pipeline of this.running) this.logger.log({ msg: `pipeline ${pipeline.name} stopped`, ...pipeline.counters });
  }
}
