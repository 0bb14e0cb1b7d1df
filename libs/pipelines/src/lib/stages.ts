import {
  avroBindingOf,
  type FieldShape,
  type ShapeValue,
  type TopicBinding,
  type TopicDefinition,
  type TopicNamespace,
} from '@pipeline/contracts';
import type { AvroBinding } from '@pipeline/kafka';
import {
  createWindowingEngine,
  decodeKeyState,
  decodePartitionClock,
  encodeKeyState,
  encodePartitionClock,
  toMillis,
  type AggregateSpecs,
  type AggregateValues,
  type KeyState,
  type LateRecord,
  type PartitionId,
  type WatermarkOptions,
  type WindowSpec,
} from '@pipeline/windowing';

/** A topic a stage writes, with what the service needs to create it and encode for it. */
export interface OutputTopic {
  readonly topic: string;
  readonly partitions: number;
  readonly binding: AvroBinding<unknown>;
}

export function outputTopicOf<S extends FieldShape>(binding: TopicBinding<S>): OutputTopic {
  return { topic: binding.topic, partitions: binding.partitions, binding: avroBindingOf(binding) };
}

/** A record a stage emits: already shaped to its output contract, keyed deterministically. */
export interface OutputRecord {
  readonly topic: string;
  readonly key: string;
  readonly value: unknown;
}

export interface StageOutput<TEvent> {
  readonly records: OutputRecord[];
  readonly late: LateRecord<TEvent>[];
}

/** A group key whose state changed: its encoded state, or null once it holds none (delete it). */
export interface StageKeyChange {
  readonly key: string;
  readonly state: Uint8Array | null;
}

/**
 * A partition's state changes since the previous takeChanges, encoded for a compacted
 * changelog topic. The records are Node Buffers sliced from Buffer's shared pool (one
 * ArrayBuffer per record costs more than encoding it): pass them on as they are, or mind
 * byteOffset/byteLength when reaching for `.buffer`.
 */
export interface StageChanges {
  /** The partition's encoded clock (watermarks, counters): write it with every commit. */
  readonly clock: Uint8Array;
  readonly keys: StageKeyChange[];
}

/** The running state of a windowed stage, one per service instance, holding all its assigned partitions. */
export interface WindowStageEngine<TEvent> {
  process(partition: PartitionId, events: readonly TEvent[]): StageOutput<TEvent>;
  /** A watermark heartbeat: event time has reached `eventTime` on this partition. */
  advance(partition: PartitionId, eventTime: number): StageOutput<TEvent>;
  /**
   * The keys whose state changed since the last call (O(changed keys)), encoded, plus the
   * partition's clock; commit them with the input offsets. Keeping the latest record per
   * key (deleting on null) and the latest clock mirrors the stage's state.
   */
  takeChanges(partition: PartitionId): StageChanges;
  /**
   * Loads a partition from its changelog: the latest clock (undefined if none was written)
   * and the latest state of every key, in any order, decoded as they are consumed.
   * The partition must not hold state (revoke first).
   * @throws SnapshotMismatchError / SnapshotUnreadableError (from @pipeline/windowing) for records of another layout or garbage
   */
  restore(partition: PartitionId, clock: Uint8Array | undefined, keyStates: Iterable<Uint8Array>): void;
  revoke(partition: PartitionId): void;
  watermark(partition: PartitionId): number;
}

/** A stage as defined (namespace-free): resolved with the running service's topic namespace. */
export type StageOf<T> = (topics: TopicNamespace) => T;

export interface WindowStage<TEvent> {
  readonly name: string;
  readonly output: OutputTopic;
  readonly window: WindowSpec;
  /**
   * A window closes once its partition's highest event time reaches `end + closeDelayMs`
   * (grace + maxOutOfOrderness): what a latency measurement takes as the close.
   */
  readonly closeDelayMs: number;
  createEngine(): WindowStageEngine<TEvent>;
}

export interface WindowInfo {
  windowStart: number;
  windowEnd: number;
  windowMinutes: number;
}

/**
 * A windowed aggregation that lands in an output contract: the window spec, the group
 * key, the named aggregates (whose typed values `toRecord` receives) and the topic.
 * Windows close on their own partition's watermark (Kafka Streams' stream time per
 * task), so a partition's output and its late events depend only on that partition's
 * records (events, heartbeats, END_OF_INPUT).
 */
export function windowedStage<TEvent, const A extends AggregateSpecs<TEvent>, S extends FieldShape>(definition: {
  name: string;
  window: WindowSpec;
  key: (event: TEvent) => string;
  eventTime: (event: TEvent) => number;
  aggregates: A;
  watermark: WatermarkOptions;
  output: TopicDefinition<S>;
  toRecord: (key: string, window: WindowInfo, values: AggregateValues<A>) => ShapeValue<S>;
}): StageOf<WindowStage<TEvent>> {
  return (topics) => {
    const output = outputTopicOf(topics.bind(definition.output));
    return {
      name: definition.name,
      output,
      window: definition.window,
      closeDelayMs: definition.window.graceMs + toMillis(definition.watermark.maxOutOfOrderness ?? 0, 'maxOutOfOrderness'),
      createEngine() {
        const engine = createWindowingEngine({
          eventTime: definition.eventTime,
          key: definition.key,
          window: definition.window,
          aggregates: definition.aggregates,
          watermark: definition.watermark,
          emit: 'final',
        });
        const toOutput = ({ results, late }: ReturnType<typeof engine.process>): StageOutput<TEvent> => ({
          records: results.map((result) => {
            const window = { windowStart: result.windowStart, windowEnd: result.windowEnd, windowMinutes: Math.round((result.windowEnd - result.windowStart) / 60000) };
            const value = definition.toRecord(result.key, window, result.values);
            return { topic: output.topic, key: definition.output.key(value), value };
          }),
          late,
        });
        const identity = engine.stateIdentity();
        function* decodeAll(keyStates: Iterable<Uint8Array>): Generator<KeyState<string>> {
          for (const bytes of keyStates) yield decodeKeyState<string>(identity, bytes);
        }
        return {
          process: (partition, events) => toOutput(engine.process(partition, events)),
          advance: (partition, eventTime) => toOutput(engine.advanceEventTime(partition, eventTime)),
          takeChanges: (partition) => {
            const changes = engine.takeChanges(partition);
            return {
              clock: encodePartitionClock(identity, changes.clock, Buffer.allocUnsafe),
              keys: changes.keys.map(({ key, state }) => ({ key, state: state === null ? null : encodeKeyState(identity, state, Buffer.allocUnsafe) })),
            };
          },
          restore: (partition, clock, keyStates) =>
            engine.restoreKeys(partition, clock === undefined ? undefined : decodePartitionClock(identity, clock), decodeAll(keyStates)),
          revoke: (partition) => engine.revoke(partition),
          watermark: (partition) => engine.watermark(partition),
        };
      },
    };
  };
}

/** A stateless per-event stage: every event yields zero or more records (alerts). */
export interface EventStage<TEvent> {
  readonly name: string;
  readonly output: OutputTopic;
  apply(event: TEvent): OutputRecord[];
}

export function eventStage<TEvent, S extends FieldShape>(definition: {
  name: string;
  output: TopicDefinition<S>;
  derive: (event: TEvent) => ShapeValue<S>[];
}): StageOf<EventStage<TEvent>> {
  return (topics) => {
    const output = outputTopicOf(topics.bind(definition.output));
    return {
      name: definition.name,
      output,
      apply: (event) => definition.derive(event).map((value) => ({ topic: output.topic, key: definition.output.key(value), value })),
    };
  };
}

/** One domain's processing: an input event topic, its windowed aggregations and its per-event stages. */
export interface PipelineDefinition<TEvent> {
  readonly name: string;
  /** The namespace its topics were resolved in; the runtime names its own topics and ids in it too. */
  readonly topics: TopicNamespace;
  readonly input: { readonly topic: string; readonly partitions: number; readonly binding: AvroBinding<TEvent> };
  readonly windows: readonly WindowStage<TEvent>[];
  readonly events: readonly EventStage<TEvent>[];
}

/**
 * A pipeline as defined once, namespace-free: `resolve(topics)` at start-up gives the definition
 * the runtime runs, its topics in the service's namespace (two namespaces can run in one process).
 */
export interface PipelineTemplate<TEvent> {
  readonly name: string;
  resolve(topics: TopicNamespace): PipelineDefinition<TEvent>;
}

export function definePipeline<S extends FieldShape>(definition: {
  name: string;
  input: TopicDefinition<S>;
  windows: readonly StageOf<WindowStage<ShapeValue<S>>>[];
  events?: readonly StageOf<EventStage<ShapeValue<S>>>[];
}): PipelineTemplate<ShapeValue<S>> {
  return {
    name: definition.name,
    resolve: (topics) => {
      const input = topics.bind(definition.input);
      return {
        name: definition.name,
        topics,
        input: { topic: input.topic, partitions: input.partitions, binding: avroBindingOf(input) },
        windows: definition.windows.map((stage) => stage(topics)),
        events: (definition.events ?? []).map((stage) => stage(topics)),
      };
    },
  };
}

/**
 * Rounds a measure to the scale of its numeric(20, scale) column, so Kafka and the warehouse agree, the
 * way PostgreSQL rounds a numeric: half away from zero, on the decimal value. Inputs with few decimals
 * often average to an exact tie (61.4265625); its double lies a hair above or below it, and sums taken in
 * another order move it across. The scaled value is therefore snapped to 1/1000 first: noise that small
 * never decides a tie, so a result depends on its inputs only, not on their order or the state's history.
 */
export function roundTo(scale: number, value: number): number {
  const factor = 10 ** scale;
  const scaled = Math.round(Math.abs(value) * factor * 1000) / 1000;
  return (Math.sign(value) * Math.round(scaled)) / factor || 0;
}
