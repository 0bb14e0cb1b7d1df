import { ContractViolationError, type AvroRecordSchema, type FieldShape, type TextRow } from '@pipeline/contracts';

/** Every event contract carries its event time in `timestamp` (epoch ms). */
export interface EventValue {
  timestamp: number;
}

/** What ingestion needs of a contract (a `Contract<S>` of an event fits). */
export interface EventContract<T> {
  readonly name: string;
  readonly fields: FieldShape;
  readonly avroSchema: AvroRecordSchema;
  parse(value: unknown): T;
  parseText(row: TextRow): T;
}

/** What ingestion needs of a topic binding (a `TopicBinding<S>` of an event contract fits). */
export interface EventTopic<T extends EventValue> {
  readonly topic: string;
  readonly partitions: number;
  readonly subject: string;
  readonly contract: EventContract<T>;
  readonly key: (value: T) => string;
}

/** The same binding under another topic name (and its registry subject): a test run's or a replay's own topic. */
export function renamedTopic<T extends EventValue>(topic: EventTopic<T>, name: string): EventTopic<T> {
  return { ...topic, topic: name, subject: `${name}-value` };
}

/** A source's verdict on one input: a valid event, or a rejection bound for the dead-letter topic. */
export type Admission<T> = { accepted: true; value: T } | { accepted: false; reason: string; raw: unknown };

/** An event already admitted, keyed and encoded (by a worker thread): its record goes out as it is. */
export interface EncodedEvent {
  readonly timestamp: number;
  readonly key: Buffer;
  /** The Confluent wire format of the topic's registered schema. */
  readonly value: Buffer;
  readonly partition: number;
}

/** One input of a source, admitted when it is sent (an injected wall-clock time is only known then). */
export interface SourceItem<T> {
  /** Where it came from, for dead-letter headers: a CSV line number, a generator index. */
  readonly position: string;
  /** Its event time when known before sending; replay pacing needs it. */
  readonly eventTime?: number;
  /** Admitted already, with its record's bytes: the pump sends these (admit still gives the value). */
  readonly encoded?: EncodedEvent;
  admit(sendTime: number): Admission<T>;
}

/**
 * What a source hands the pump: items one at a time, or in chunks (the rows of a read chunk of a
 * file), which the pump takes without an await per item.
 */
export type SourceItems<T> = AsyncIterable<SourceItem<T> | readonly SourceItem<T>[]> | Iterable<SourceItem<T>>;

/** Contract violations become rejections (with the raw input, built only then); anything else is a bug and propagates. */
export function admitParsed<T>(parse: () => T, rawInput: () => unknown): Admission<T> {
  try {
    return { accepted: true, value: parse() };
  } catch (error) {
    if (!(error instanceof ContractViolationError)) throw error;
    return { accepted: false, reason: error.message, raw: rawInput() };
  }
}
