/**
 * The ingestion path against the real broker and registry: a CSV replay, a generator run
 * and webhook posts, each to topics of its own, read back and decoded.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clickEventsTopic, defineTopic, END_OF_INPUT, HEADERS, heartbeatEventTime, sensorReadingsTopic, TopicNamespace, type FieldShape, type TopicDefinition } from '@pipeline/contracts';
import { createAvroCodec, createKafkaClient, createReliableProducer, createSchemaRegistry, parseBrokerList, type IHeaders, type Kafka } from '@pipeline/kafka';
import {
  CLICKSTREAM_CSV_DEFAULTS,
  clickstreamSessions,
  IngestClient,
  isBrokenClickstreamRow,
  replayCsvFile,
  runGenerator,
  sensorReadings,
  take,
  WebhookIngestor,
  writeClickstreamCsv,
  type EventValue,
} from './index';
import { requiredEnv } from '@pipeline/config';


interface Received {
  topic: string;
  partition: number;
  offset: number;
  key: string | undefined;
  value: Buffer | null;
  headers: Record<string, string>;
}

function textHeaders(headers: IHeaders | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name, String(Array.isArray(value) ? value[0] : value)]));
}

/** Reads the topics from the beginning until `done` says everything expected arrived. */
async function readUntil(kafka: Kafka, topics: string[], done: (records: Received[]) => boolean, timeoutMs = 30_000): Promise<Received[]> {
  const records: Received[] = [];
  const consumer = kafka.consumer({ groupId: `ingest-it-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        records.push({ topic, partition, offset: Number(message.offset), key: message.key?.toString(), value: message.value, headers: textHeaders(message.headers) });
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (!done(records)) {
      if (Date.now() > deadline) throw new Error(`only ${records.length} records arrived within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return records;
  } finally {
    await consumer.disconnect();
  }
}

/** Each partition of the event topic: its records in offset order, up to and including its END_OF_INPUT heartbeat. */
function byPartition(records: Received[], topic: string): Map<number, Received[]> {
  const partitions = new Map<number, Received[]>();
  for (const record of records.filter((entry) => entry.topic === topic).sort((a, b) => a.offset - b.offset)) {
    partitions.set(record.partition, [...(partitions.get(record.partition) ?? []), record]);
  }
  return partitions;
}

function endedEveryPartition(records: Received[], topic: string, partitions: number): boolean {
  const ended = new Set(records.filter((record) => record.topic === topic && heartbeatEventTime(record.headers) === END_OF_INPUT).map((record) => record.partition));
  return ended.size === partitions;
}

/**
 * Heartbeats reach every partition (END_OF_INPUT last), never go back and are safe for their
 * partition: one above the partition's own data before it binds every later event of the
 * partition to be at least as new. Without a disorder bound each heartbeat is exactly the
 * partition's own progress (the highest event time of its data before it).
 */
async function expectSafeHeartbeats(records: Received[], topic: { topic: string; partitions: number }, decode: (buffer: Buffer) => Promise<EventValue>, disorderBound = false): Promise<void> {
  const partitions = byPartition(records, topic.topic);
  expect([...partitions.keys()].sort()).toEqual(Array.from({ length: topic.partitions }, (_, partition) => partition));
  for (const sequence of partitions.values()) {
    let highestData = -Infinity;
    let lastHeartbeat = -Infinity;
    let claimed = -Infinity;
    for (const record of sequence) {
      const heartbeat = heartbeatEventTime(record.headers);
      if (heartbeat === undefined) {
        expect(record.value).not.toBeNull();
        const eventTime = (await decode(record.value as Buffer)).timestamp;
        expect(eventTime).toBeGreaterThanOrEqual(claimed);
        highestData = Math.max(highestData, eventTime);
      } else {
        expect(heartbeat).toBeGreaterThanOrEqual(lastHeartbeat);
        if (heartbeat !== END_OF_INPUT) {
          if (!disorderBound) expect(heartbeat).toBe(highestData);
          if (heartbeat > highestData) claimed = Math.max(claimed, heartbeat);
        }
        lastHeartbeat = heartbeat;
      }
    }
    expect(heartbeatEventTime(sequence.at(-1)?.headers)).toBe(END_OF_INPUT);
  }
}

/** A contract's topic of this test's own (its base name with a suffix), bound with no namespace. */
const ownTopic = <S extends FieldShape>(definition: TopicDefinition<S>, suffix: string) => TopicNamespace.none.bind(defineTopic({ ...definition, name: `${definition.name}${suffix}` }));

describe('ingestion against the real broker and registry', () => {
  const runId = randomUUID().slice(0, 8);
  const topics = TopicNamespace.none;
  const connection = { kafka: { brokers: parseBrokerList(requiredEnv('KAFKA_BROKERS')) }, registry: requiredEnv('SCHEMA_REGISTRY_URL'), clientId: `ingest-it-${runId}` };
  const kafka = createKafkaClient({ ...connection.kafka, clientId: `ingest-it-reader-${runId}` });
  const registry = createSchemaRegistry(connection.registry);
  const deadLetterTopic = { topic: `pipeline.dead-letter-${runId}`, partitions: 2 };
  const directory = mkdtempSync(join(tmpdir(), 'ingest-it-'));
  afterAll(async () => {
    rmSync(directory, { recursive: true, force: true });
    const admin = kafka.admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((topic) => topic.endsWith(runId));
    await admin.deleteTopics({ topics }).finally(() => admin.disconnect());
  });

  it.each([
    ['on the main thread', false],
    // From the TypeScript source: no bundle here (CsvWorkerSource).
    ['in a worker thread', 'bundle-or-source'],
  ] as const)('replays a CSV (rows parsed %s): every valid row once on the topic, keyed and decodable; every invalid row dead-lettered with reason and line; heartbeats close every partition', async (_, parseInWorker) => {
    const variant = parseInWorker ? 'w-' : '';
    const topic = ownTopic(clickEventsTopic, `-${variant}${runId}`);
    const deadLetterTopic = { topic: `pipeline.dead-letter-${variant}${runId}`, partitions: 2 };
    const rows = 1_200;
    const invalidEvery = 40;
    const { file } = await writeClickstreamCsv(join(directory, `clicks-${variant}.csv`), { rows, invalidEvery });

    const summary = await replayCsvFile({ connection, topics, topic, file, deadLetterTopic, pace: { kind: 'asap' }, batchSize: 100, heartbeatIntervalMs: 100, parseInWorker });

    const generated = [...take(clickstreamSessions(CLICKSTREAM_CSV_DEFAULTS), rows)];
    const valid = generated.filter((_, index) => !isBrokenClickstreamRow(index + 1, invalidEvery));
    const brokenLines = generated.flatMap((_, index) => (isBrokenClickstreamRow(index + 1, invalidEvery) ? [String(index + 2)] : []));
    expect(summary).toMatchObject({ read: rows, produced: valid.length, deadLettered: brokenLines.length, reconciled: true, endOfInput: true, stopped: false });
    expect(summary.maxEventTime).toBe(Math.max(...valid.map((event) => event.timestamp)));

    const records = await readUntil(
      kafka,
      [topic.topic, deadLetterTopic.topic],
      (received) => endedEveryPartition(received, topic.topic, topic.partitions) && received.filter((record) => record.topic === deadLetterTopic.topic).length >= brokenLines.length,
    );
    const codec = await createAvroCodec(registry, { subject: topic.subject, schema: topic.contract.avroSchema, validate: topic.contract.parse });
    const data = records.filter((record) => record.topic === topic.topic && heartbeatEventTime(record.headers) === undefined);
    const decoded = await Promise.all(data.map(async (record) => ({ key: record.key, value: await codec.decode(record.value as Buffer) })));
    for (const { key, value } of decoded) expect(key).toBe(topic.key(value));
    const byEventId = (a: { eventId: string }, b: { eventId: string }) => a.eventId.localeCompare(b.eventId);
    expect(decoded.map(({ value }) => value).sort(byEventId)).toEqual([...valid].sort(byEventId));

    const letters = records.filter((record) => record.topic === deadLetterTopic.topic);
    expect(letters.map((letter) => letter.headers[HEADERS.position]).sort()).toEqual([...brokenLines].sort());
    for (const letter of letters) {
      expect(letter.headers).toMatchObject({ [HEADERS.source]: file, [HEADERS.contract]: 'ClickEvent', [HEADERS.reason]: expect.stringMatching(/^has \d+ cells|^ClickEvent: /) });
      expect(JSON.parse(letter.value?.toString() ?? 'null')).toBeTruthy();
    }
    await expectSafeHeartbeats(records, topic, (buffer) => codec.decode(buffer));
  });

  it('runs a seeded generator for N events: the topic holds exactly that stream, keyed by sensor, closed by END_OF_INPUT', async () => {
    const topic = ownTopic(sensorReadingsTopic, `-${runId}`);
    const options = { seed: 99, ratePerSecond: 50, keys: 8, startTime: Date.parse('2024-03-01T00:00:00Z'), jitterMs: 500, lateFraction: 0.05 };
    const summary = await runGenerator({ connection, topics, topic, generator: sensorReadings, options, count: 400, pace: { kind: 'asap' }, deadLetterTopic, heartbeatIntervalMs: 100 });
    expect(summary).toMatchObject({ read: 400, produced: 400, deadLettered: 0, reconciled: true, endOfInput: true });

    const records = await readUntil(kafka, [topic.topic], (received) => endedEveryPartition(received, topic.topic, topic.partitions));
    const codec = await createAvroCodec(registry, { subject: topic.subject, schema: topic.contract.avroSchema, validate: topic.contract.parse });
    const data = records.filter((record) => heartbeatEventTime(record.headers) === undefined);
    const decoded = await Promise.all(data.map(async (record) => ({ key: record.key, value: await codec.decode(record.value as Buffer) })));
    for (const { key, value } of decoded) expect(key).toBe(value.sensorId);
    // Per sensor (one key, one partition) the order is kept, so compare sensor by sensor.
    const expected = [...take(sensorReadings(options), 400)];
    for (const sensorId of new Set(expected.map((reading) => reading.sensorId))) {
      expect(decoded.filter(({ value }) => value.sensorId === sensorId).map(({ value }) => value)).toEqual(expected.filter((reading) => reading.sensorId === sensorId));
    }
    await expectSafeHeartbeats(records, topic, (buffer) => codec.decode(buffer));
  });

  it('with a declared disorder bound, dead-letters events beyond it at the source (out-of-order) and sends every partition heartbeats that are safe for it', async () => {
    const topic = ownTopic(sensorReadingsTopic, `-bounded-${runId}`);
    const options = { seed: 7, ratePerSecond: 50, keys: 3, startTime: Date.parse('2024-03-01T00:00:00Z'), jitterMs: 500, lateFraction: 0.05, lateByMs: 120_000 };
    const maxDisorderMs = 60_000;
    const generated = [...take(sensorReadings(options), 400)];
    // The rule, restated: refused when older than the highest admitted event time − bound.
    let highest = -Infinity;
    const refused = generated.filter((reading) => {
      if (reading.timestamp < highest - maxDisorderMs) return true;
      highest = Math.max(highest, reading.timestamp);
      return false;
    });
    expect(refused.length).toBeGreaterThan(0);
    const summary = await runGenerator({ connection, topics, topic, generator: sensorReadings, options, count: 400, pace: { kind: 'asap' }, deadLetterTopic, heartbeatIntervalMs: 20, batchSize: 20, maxDisorderMs });
    expect(summary).toMatchObject({ read: 400, produced: 400 - refused.length, deadLettered: refused.length, reconciled: true, endOfInput: true });

    const source = `generator:${topic.contract.name}`;
    const records = await readUntil(
      kafka,
      [topic.topic, deadLetterTopic.topic],
      (received) => endedEveryPartition(received, topic.topic, topic.partitions) && received.filter((record) => record.headers[HEADERS.source] === source && record.topic === deadLetterTopic.topic).length >= refused.length,
    );
    const letters = records.filter((record) => record.topic === deadLetterTopic.topic && record.headers[HEADERS.source] === source);
    expect(letters.map((letter) => JSON.parse(letter.value?.toString() ?? 'null').timestamp).sort()).toEqual(refused.map((reading) => reading.timestamp).sort());
    for (const letter of letters) {
      expect(letter.headers).toMatchObject({ [HEADERS.reasonClass]: 'out-of-order', [HEADERS.reason]: expect.stringContaining('beyond its declared maxDisorder of 60000 ms') });
    }
    const codec = await createAvroCodec(registry, { subject: topic.subject, schema: topic.contract.avroSchema, validate: topic.contract.parse });
    await expectSafeHeartbeats(records, topic, (buffer) => codec.decode(buffer), true);
  });

  it('takes webhook posts: valid items published (202), a mixed batch answered 207 with per-item reasons (invalid ones dead-lettered)', async () => {
    const client = new IngestClient(connection);
    const producer = createReliableProducer(client.kafka);
    await producer.connect();
    const renameTopic = (name: string) => `${name}-webhook-${runId}`;
    const webhook = new WebhookIngestor({ client, producer, topics, deadLetterTopic, heartbeatIntervalMs: 100, renameTopic });
    const json = (body: unknown) => Buffer.from(JSON.stringify(body));
    const post = (domain: string, body: unknown) => webhook.ingest(domain, json(body), 'application/json');
    try {
      const click = { ...[...take(clickstreamSessions(CLICKSTREAM_CSV_DEFAULTS), 1)][0] };
      expect(await post('clickstream', click)).toEqual({ status: 202, domain: 'clickstream', accepted: 1, rejected: 0, rejections: [] });
      const outcome = await post('clickstream', [
        { ...click, eventId: 'w-2' },
        { ...click, eventId: 'w-3', price: -1 },
        { nonsense: true },
      ]);
      expect(outcome).toMatchObject({ status: 207, accepted: 1, rejected: 2, rejections: [{ index: 1, reason: expect.stringContaining('price') }, { index: 2 }] });
      await expect(post('weather', click)).rejects.toThrow('unknown domain "weather"');
      await expect(post('clickstream', 'hello')).rejects.toThrow('must be a JSON object or an array of objects');

      const topic = renameTopic(clickEventsTopic.name);
      const records = await readUntil(
        kafka,
        [topic, deadLetterTopic.topic],
        (received) =>
          received.filter((record) => record.topic === topic && record.value !== null).length === 2 &&
          received.some((record) => record.headers[HEADERS.source] === 'webhook:clickstream' && record.headers[HEADERS.position]?.endsWith('item 2')) &&
          received.some((record) => record.topic === topic && heartbeatEventTime(record.headers) === click.timestamp),
      );
      const letter = records.find((record) => record.headers[HEADERS.source] === 'webhook:clickstream' && record.headers[HEADERS.position]?.endsWith('item 1'));
      expect(letter?.headers[HEADERS.reason]).toContain('price');
      expect(JSON.parse(letter?.value?.toString() ?? 'null')).toMatchObject({ eventId: 'w-3', price: -1 });
    } finally {
      await webhook.close();
      await producer.disconnect();
    }
  });
});
