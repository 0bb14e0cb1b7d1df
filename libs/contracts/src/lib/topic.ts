import type { Contract } from './contract';
import type { FieldShape, ShapeValue } from './fields';

/** A Kafka topic carrying one contract: name, partition count, record key and registry subject live together. */
export interface TopicBinding<S extends FieldShape> {
  readonly topic: string;
  readonly partitions: number;
  readonly contract: Contract<S>;
  /** The record key; equal keys go to the same partition (and so to the same windowing state). */
  readonly key: (value: ShapeValue<S>) => string;
  /** Registry subject, TopicNameStrategy: `<topic>-value`. */
  readonly subject: string;
  readonly config?: Readonly<Record<string, string>>;
}

export function defineTopic<S extends FieldShape>(binding: Omit<TopicBinding<S>, 'subject'>): TopicBinding<S> {
  if (!/^[a-zA-Z0-9._-]+$/.test(binding.topic)) throw new Error(`"${binding.topic}" is not a valid Kafka topic name`);
  if (!Number.isInteger(binding.partitions) || binding.partitions < 1) throw new Error(`${binding.topic}: partitions must be a positive integer`);
  return { ...binding, subject: `${binding.topic}-value` };
}

/** The codec binding of a topic: its subject, the contract's Avro schema and its validation. */
export function avroBindingOf<S extends FieldShape>(binding: TopicBinding<S>) {
  return { subject: binding.subject, schema: binding.contract.avroSchema, validate: binding.contract.parse };
}
