import type { Contract } from './contract';
import type { FieldShape, ShapeValue } from './fields';

/** A Kafka topic carrying one contract: name, partition count, record key and registry subject live together. */
export interface TopicBinding<S extends FieldShape> {
  readonly topic: string;
  readonly partitions: number;
  readonly contract: Contract<S>;
  /**
   * The record key; equal keys go to the same partition (and so to the same windowing state).
   * A method, so a binding of any contract is also a TopicBinding<FieldShape> (lists of mixed contracts).
   */
  key(value: ShapeValue<S>): string;
  /** Registry subject, TopicNameStrategy: `<topic>-value`. */
  readonly subject: string;
  readonly config?: Readonly<Record<string, string>>;
}

/**
 * Prefix of every topic name (so of every registry subject too), from PIPELINE_TOPIC_NAMESPACE,
 * e.g. "staging.": environments or test runs sharing one cluster never see each other's records
 * (or watermarks). Read when the contracts load, so set it before a service starts.
 */
export function topicNamespace(env: NodeJS.ProcessEnv = process.env): string {
  const namespace = env['PIPELINE_TOPIC_NAMESPACE'] ?? '';
  if (!/^[a-zA-Z0-9._-]*$/.test(namespace)) {
    throw new Error(`PIPELINE_TOPIC_NAMESPACE may hold only letters, digits, ".", "_" and "-" (got "${namespace}")`);
  }
  return namespace;
}

export function namespacedTopic(name: string): string {
  const topic = `${topicNamespace()}${name}`;
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(topic)) throw new Error(`"${topic}" is not a valid Kafka topic name`);
  return topic;
}

/** Binds a contract to a topic; the name gets the PIPELINE_TOPIC_NAMESPACE prefix. */
export function defineTopic<S extends FieldShape>(binding: Omit<TopicBinding<S>, 'subject'>): TopicBinding<S> {
  const topic = namespacedTopic(binding.topic);
  if (!Number.isInteger(binding.partitions) || binding.partitions < 1) throw new Error(`${topic}: partitions must be a positive integer`);
  return { ...binding, topic, subject: `${topic}-value` };
}

/** The codec binding of a topic: its subject, the contract's Avro schema and its validation. */
export function avroBindingOf<S extends FieldShape>(binding: TopicBinding<S>) {
  return { subject: binding.subject, schema: binding.contract.avroSchema, validate: binding.contract.parse };
}
