import type { TopicSpec } from '@pipeline/kafka';
import type { Contract } from './contract';
import type { FieldShape, ShapeValue } from './fields';

/**
 * A Kafka topic carrying one contract, as defined once in the contracts: namespace-free data
 * (the base name). Resolve it in the running service's namespace with `TopicNamespace.bind`.
 */
export interface TopicDefinition<S extends FieldShape> {
  /** Base name, without the namespace, e.g. `iot.sensor-readings`. */
  readonly name: string;
  readonly partitions: number;
  readonly contract: Contract<S>;
  /**
   * The record key; equal keys go to the same partition (and so to the same windowing state).
   * A method, so a definition of any contract is also a TopicDefinition<FieldShape> (lists of mixed contracts).
   */
  key(value: ShapeValue<S>): string;
  readonly config?: Readonly<Record<string, string>>;
}

/** A topic that carries no contract of its own (dead letters, late events, positions), namespace-free. */
export interface PlainTopicDefinition {
  readonly name: string;
  readonly partitions: number;
  readonly config?: Readonly<Record<string, string>>;
}

/** A contract's topic resolved in one namespace: full name, partition count, record key and registry subject. */
export interface TopicBinding<S extends FieldShape> {
  readonly topic: string;
  readonly partitions: number;
  readonly contract: Contract<S>;
  key(value: ShapeValue<S>): string;
  /** Registry subject, TopicNameStrategy: `<topic>-value`. */
  readonly subject: string;
  readonly config?: Readonly<Record<string, string>>;
}

const NAMESPACE_PATTERN = /^[a-zA-Z0-9._-]*$/;
const TOPIC_PATTERN = /^[a-zA-Z0-9._-]{1,249}$/;

function checkedTopicName(topic: string): string {
  if (!TOPIC_PATTERN.test(topic)) throw new Error(`"${topic}" is not a valid Kafka topic name`);
  return topic;
}

/** Defines a contract's topic (validated; no namespace yet). */
export function defineTopic<S extends FieldShape>(definition: TopicDefinition<S>): TopicDefinition<S> {
  checkedTopicName(definition.name);
  if (!Number.isInteger(definition.partitions) || definition.partitions < 1) throw new Error(`${definition.name}: partitions must be a positive integer`);
  return definition;
}

/**
 * The prefix of every topic name, registry subject and derived id (transactional ids, group ids
 * built from it) of one running service, CLI or test: environments or test runs sharing one
 * cluster never see each other's records (or watermarks). Built at start-up from validated
 * settings (PIPELINE_TOPIC_NAMESPACE, libs/config topicNamespaceEnv) and passed on, never
 * global: two namespaces can live in one process.
 *
 *   before: sensorReadingsTopic.topic          after: topics.bind(sensorReadingsTopic).topic
 */
export class TopicNamespace {
  /** No prefix: the topics' base names. */
  static readonly none = new TopicNamespace('');

  private readonly bound = new Map<object, TopicBinding<FieldShape> | TopicSpec>();

  private constructor(readonly prefix: string) {}

  /** @throws Error naming PIPELINE_TOPIC_NAMESPACE when the prefix holds characters a topic name cannot. */
  static of(prefix: string): TopicNamespace {
    if (!NAMESPACE_PATTERN.test(prefix)) {
      throw new Error(`PIPELINE_TOPIC_NAMESPACE may hold only letters, digits, ".", "_" and "-" (got "${prefix}")`);
    }
    return prefix === '' ? TopicNamespace.none : new TopicNamespace(prefix);
  }

  /** A name in this namespace: a topic's, or an id derived the same way (`<prefix><name>`). */
  name(base: string): string {
    return checkedTopicName(`${this.prefix}${base}`);
  }

  /** A contract's topic, or a plain topic, resolved in this namespace (the same object each time). */
  bind<S extends FieldShape>(definition: TopicDefinition<S>): TopicBinding<S>;
  bind(definition: PlainTopicDefinition): TopicSpec;
  bind<S extends FieldShape>(definition: TopicDefinition<S> | PlainTopicDefinition): TopicBinding<S> | TopicSpec {
    const known = this.bound.get(definition);
    if (known) return known as TopicBinding<S> | TopicSpec;
    const { name, ...rest } = definition;
    const topic = this.name(name);
    const resolved = 'contract' in definition ? { ...rest, topic, subject: `${topic}-value` } : { ...rest, topic };
    this.bound.set(definition, resolved as TopicBinding<FieldShape> | TopicSpec);
    return resolved as TopicBinding<S> | TopicSpec;
  }
}

/** The codec binding of a topic: its subject, the contract's Avro schema and its validation. */
export function avroBindingOf<S extends FieldShape>(binding: TopicBinding<S>) {
  return { subject: binding.subject, schema: binding.contract.avroSchema, validate: binding.contract.parse };
}
