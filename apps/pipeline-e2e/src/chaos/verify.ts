/**
 * What the chaos suite checks once the pipeline has drained, each against the independent
 * reference (support/*-reference.ts, iot-workload.ts: brute force from the on-time input rows):
 * the warehouse rows, one committed record per key in each aggregate topic, and the count identities.
 */
import { isDeepStrictEqual } from 'node:util';
import { readPartitionsToEnd, type Kafka, type KafkaMessage } from '@pipeline/kafka';
import { header } from '../support/kafka-io';

/** How two sets of rows differ, by key: a few examples each, never thousands of lines. */
export interface RowDiff {
  expected: number;
  actual: number;
  missing: string[];
  unexpected: string[];
  different: string[];
  exact: boolean;
}

const EXAMPLES = 5;

/**
 * Every committed record of every partition up to the end offsets the topic has now. Not readTopicToEnd:
 * that one ends after 3 s without a record, which a group join on a loaded machine can take, and then
 * reads nothing.
 */
async function readWholeTopic(kafka: Kafka, topic: string, onRecord: (record: KafkaMessage, partition: number) => void): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  await readPartitionsToEnd(kafka, topic, offsets.map((entry) => entry.partition), onRecord);
}

export function diffRows<T>(expected: readonly T[], actual: readonly T[], keyOf: (row: T) => string): RowDiff {
  const expectedByKey = new Map(expected.map((row) => [keyOf(row), row]));
  const actualByKey = new Map<string, T>();
  const duplicated: string[] = [];
  for (const row of actual) {
    if (actualByKey.has(keyOf(row))) duplicated.push(`${keyOf(row)} twice`);
    actualByKey.set(keyOf(row), row);
  }
  const missing: string[] = [];
  const different: string[] = [];
  let missingCount = 0;
  let differentCount = 0;
  for (const [key, row] of expectedByKey) {
    const seen = actualByKey.get(key);
    if (seen === undefined) {
      missingCount += 1;
      if (missing.length < EXAMPLES) missing.push(key);
    } else if (!isDeepStrictEqual(seen, row)) {
      differentCount += 1;
      if (different.length < EXAMPLES) different.push(`${key}: expected ${JSON.stringify(row)}, got ${JSON.stringify(seen)}`);
    }
  }
  const unexpectedKeys = [...actualByKey.keys()].filter((key) => !expectedByKey.has(key));
  const unexpected = [...duplicated, ...unexpectedKeys].slice(0, EXAMPLES);
  const exact = missingCount === 0 && differentCount === 0 && unexpectedKeys.length === 0 && duplicated.length === 0 && actual.length === expected.length;
  if (missingCount > missing.length) missing.push(`… ${missingCount} in all`);
  if (differentCount > different.length) different.push(`… ${differentCount} in all`);
  return { expected: expected.length, actual: actual.length, missing, unexpected, different, exact };
}

/** Committed records per key of an aggregate topic (read_committed): exactly one per expected key? */
export interface KeyCheck {
  topic: string;
  records: number;
  expectedKeys: number;
  duplicated: string[];
  missing: string[];
  unexpected: string[];
  onePerKey: boolean;
}

export async function checkOneRecordPerKey(kafka: Kafka, topic: string, expectedKeys: ReadonlySet<string>): Promise<KeyCheck> {
  const counts = new Map<string, number>();
  let records = 0;
  await readWholeTopic(kafka, topic, (record) => {
    records += 1;
    const key = record.key?.toString() ?? '';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  const duplicatedAll = [...counts].filter(([, count]) => count > 1);
  const missingAll = [...expectedKeys].filter((key) => !counts.has(key));
  const unexpectedAll = [...counts.keys()].filter((key) => !expectedKeys.has(key));
  const some = (items: string[]) => (items.length > EXAMPLES ? [...items.slice(0, EXAMPLES), `… ${items.length} in all`] : items);
  return {
    topic,
    records,
    expectedKeys: expectedKeys.size,
    duplicated: some(duplicatedAll.map(([key, count]) => `${key} ×${count}`)),
    missing: some(missingAll),
    unexpected: some(unexpectedAll),
    onePerKey: duplicatedAll.length === 0 && missingAll.length === 0 && unexpectedAll.length === 0 && records === expectedKeys.size,
  };
}

/**
 * Records of a topic (read_committed) matching `predicate` on their headers. Counting what sits on
 * topics stays exact under restarts: an aggregator's in-memory counters start again from zero when
 * it is killed, committed records do not.
 */
export async function countRecords(kafka: Kafka, topic: string, predicate: (headerOf: (name: string) => string | undefined, hasValue: boolean) => boolean): Promise<number> {
  let count = 0;
  await readWholeTopic(kafka, topic, (record) => {
    if (predicate((name) => header(record, name), record.value !== null && record.value !== undefined)) count += 1;
  });
  return count;
}
