import type { Domain } from '@pipeline/contracts';
import { clickstreamPipeline } from './domains/clickstream';
import { iotPipeline } from './domains/iot';
import { transitPipeline } from './domains/transit';
import type { PipelineDefinition } from './lib/stages';

/**
 * A pipeline whose event type is hidden behind a callback, so pipelines of different
 * domains sit in one registry without casts: `pipeline.use((definition) => run(definition))`.
 */
export interface RegisteredPipeline {
  readonly name: string;
  use<R>(consumer: <TEvent>(definition: PipelineDefinition<TEvent>) => R): R;
}

function register<TEvent>(definition: PipelineDefinition<TEvent>): RegisteredPipeline {
  return { name: definition.name, use: (consumer) => consumer(definition) };
}

/** Every pipeline the stream-aggregator can run, by domain. A new domain is one more line here. */
export const pipelines: Record<Domain, RegisteredPipeline> = {
  iot: register(iotPipeline),
  clickstream: register(clickstreamPipeline),
  transit: register(transitPipeline),
};
