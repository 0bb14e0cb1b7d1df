import * as contractsLib from '@pipeline/contracts';
import { TopicNamespace, type PlainTopicDefinition, type TopicBinding, type TopicDefinition } from '@pipeline/contracts';
import type { TopicSpec } from '@pipeline/kafka';

/** An export of the contracts as a run sees it: a topic definition bound in the run's namespace. */
type Bound<T> = T extends TopicDefinition<infer S> ? TopicBinding<S> : T extends PlainTopicDefinition & { partitions: number } ? TopicSpec : T;

/**
 * The contracts with every topic bound in one run's namespace (`contracts.sensorReadingsTopic.topic`
 * is the run's topic), and that namespace as `topics`. Runs in different namespaces share one
 * process and one copy of the libs: the namespace is data, not module state.
 */
export type ContractsModule = { readonly [K in keyof typeof contractsLib]: Bound<(typeof contractsLib)[K]> } & { readonly topics: TopicNamespace };

function isTopicDefinition(value: unknown): value is PlainTopicDefinition {
  return typeof value === 'object' && value !== null && typeof (value as { name?: unknown }).name === 'string' && typeof (value as { partitions?: unknown }).partitions === 'number';
}

/** The contracts for the run's namespace (see isolatedRun). */
export function contractsFor(namespace: string): ContractsModule {
  const topics = TopicNamespace.of(namespace);
  const entries = Object.entries(contractsLib).map(([name, value]) => [name, isTopicDefinition(value) ? topics.bind(value) : value]);
  return { ...(Object.fromEntries(entries) as ContractsModule), topics };
}
