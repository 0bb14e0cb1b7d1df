import type { Domain, TopicNamespace } from '@pipeline/contracts';
import { clickstreamPipeline } from './domains/clickstream';
import { iotPipeline } from './domains/iot';
import { transitPipeline } from './domains/transit';
import type { PipelineDefinition, PipelineTemplate } from './lib/stages';

/**
 * A pipeline whose event type is hidden behind a callback, so pipelines of different
 * domains sit in one registry without casts: `pipeline.use(topics, (definition) => run(definition))`,
 * the definition resolved in the given topic namespace.
 */
export interface RegisteredPipeline {
  readonly name: string;
  use<R>(topics: TopicNamespace, consumer: <TEvent>(definition: PipelineDefinition<TEvent>) => R): R;
}

function register<TEvent>(template: PipelineTemplate<TEvent>): RegisteredPipeline {
  return { name: template.name, use: (topics, consumer) => consumer(template.resolve(topics)) };
}

/** Every pipeline the stream-aggregator can run, by domain. A new domain is one more line here. */
export const pipelines: Record<Domain, RegisteredPipeline> = {
  iot: register(iotPipeline),
  clickstream: register(clickstreamPipeline),
  transit: register(transitPipeline),
};
