/**
 * The API polling job against the real broker and registry and a real HTTP server (the
 * fixture API): pagination, ETag 304, Retry-After, 5xx, timeouts, malformed JSON, contract
 * violations, and resuming where the last run committed. Each test has topics and a job id of its own.
 */
import { randomUUID } from 'node:crypto';
import { HEADERS, heartbeatEventTime, sensorReading, sensorReadingsTopic, TopicNamespace } from '@pipeline/contracts';
import { createAvroCodec, createKafkaClient, createSchemaRegistry, parseBrokerList, readTopicToEnd, type Kafka } from '@pipeline/kafka';
import { requiredEnv } from '@pipeline/config';
import { FIXTURE_MAPPING, FixtureApi, fixtureReading, renamedTopic, runPollJob, type Pagination, type PollJob } from './index';

type SensorReading = ReturnType<typeof sensorReading.parse>;

jest.setTimeout(180_000);

const runId = randomUUID().slice(0, 8);
const connection = { kafka: { brokers: parseBrokerList(requiredEnv('KAFKA_BROKERS')) }, registry: requiredEnv('SCHEMA_REGISTRY_URL') };
const kafka: Kafka = createKafkaClient({ brokers: connection.kafka.brokers, clientId: `poll-it-${runId}` });
const registry = createSchemaRegistry(connection.registry);
const created: string[] = [];

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  const existing = await admin.listTopics();
  await admin.deleteTopics({ topics: created.filter((topic) => existing.includes(topic)) }).finally(() => admin.disconnect());
});

async function dataRecords(topic: string): Promise<Array<{ value: Buffer; headers: Record<string, string> }>> {
  const records: Array<{ value: Buffer; headers: Record<string, string> }> = [];
  await readTopicToEnd(kafka, topic, (record) => {
    if (heartbeatEventTime(record.headers) !== undefined || !record.value) return;
    const headers = Object.fromEntries(Object.entries(record.headers ?? {}).map(([name, value]) => [name, String(value)]));
    records.push({ value: record.value, headers });
  });
  return records;
}

/** A job against its own topics: the fixture's path, pagination and a few options. */
function jobFor(name: string, api: FixtureApi, path: string, pagination: Pagination, options: Partial<PollJob<SensorReading>> = {}): PollJob<SensorReading> {
  const topic = renamedTopic(TopicNamespace.none.bind(sensorReadingsTopic), `it-poll-${runId}-${name}`);
  const deadLetterTopic = { topic: `it-poll-${runId}-${name}-dlq`, partitions: 1 };
  created.push(topic.topic, deadLetterTopic.topic);
  const lines: string[] = [];
  return {
    connection,
    topics: TopicNamespace.none,
    topic,
    deadLetterTopic,
    jobId: `it-poll-${runId}-${name}`,
    api: { url: `${api.url}${path}`, pagination, ...FIXTURE_MAPPING },
    polls: 1,
    intervalMs: 100,
    timeoutMs: 2_000,
    backoff: { initialMs: 50, maxMs: 200 },
    log: (line) => lines.push(line),
    ...options,
  };
}

async function idsOn(topic: string): Promise<string[]> {
  const codec = await createAvroCodec(registry, { subject: `${topic}-value`, schema: sensorReading.avroSchema, validate: sensorReading.parse });
  const values = await Promise.all((await dataRecords(topic)).map((record) => codec.decode(record.value)));
  return values.map((value) => `${value.sensorId}@${new Date(value.timestamp).toISOString()}`);
}

const expectedIds = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => fixtureReading(from + index)).map((reading) => `${reading.sensor.id}@${reading.observed_at}`);
const sorted = (ids: string[]) => [...ids].sort();
const cursor: Pagination = { kind: 'cursor', cursor: '/next_cursor', param: 'cursor' };

describe('API polling job', () => {
  let api: FixtureApi;
  beforeEach(async () => {
    api = await new FixtureApi(10).start();
  });
  afterEach(async () => {
    await api.stop();
  });

  it('follows the cursor to the last page, then a second poll gets a 304 and sends nothing', async () => {
    api.add(...Array.from({ length: 35 }, (_, index) => fixtureReading(index + 1)));
    const job = jobFor('cursor', api, '/readings', cursor, { polls: 2 });
    const summary = await runPollJob(job);
    expect(summary).toMatchObject({ read: 35, produced: 35, deadLettered: 0, reconciled: true, failedPolls: 0 });
    expect(sorted(await idsOn(job.topic.topic))).toEqual(sorted(expectedIds(1, 35)));
    // 4 pages, then the last page again with its ETag: 304.
    expect(api.requests.map((request) => request.status)).toEqual([200, 200, 200, 200, 304]);
    expect(api.requests[4]).toMatchObject({ url: '/readings?cursor=c30', ifNoneMatch: '"c30-5-false"' });

    // New items on the last page: the next run resumes there (its committed position), sends only them.
    api.add(...Array.from({ length: 8 }, (_, index) => fixtureReading(36 + index)));
    const again = await runPollJob(job);
    expect(again).toMatchObject({ read: 8, produced: 8, job: { totals: { read: 43, produced: 43 } } });
    expect(sorted(await idsOn(job.topic.topic))).toEqual(sorted(expectedIds(1, 43)));
  });

  it('follows Link rel=next and since-timestamp pagination', async () => {
    api.add(...Array.from({ length: 25 }, (_, index) => fixtureReading(index + 1)));
    const linked = jobFor('link', api, '/readings/linked', { kind: 'link' });
    expect(await runPollJob(linked)).toMatchObject({ read: 25, produced: 25 });
    expect(sorted(await idsOn(linked.topic.topic))).toEqual(sorted(expectedIds(1, 25)));

    const since = jobFor('since', api, '/readings/since', { kind: 'since', param: 'since', format: 'iso' });
    expect(await runPollJob(since)).toMatchObject({ read: 25, produced: 25 });
    expect(sorted(await idsOn(since.topic.topic))).toEqual(sorted(expectedIds(1, 25)));
  });

  it('waits out 429 Retry-After, retries a 500 and a timed-out response, and counts a page that stays malformed as a failed poll', async () => {
    api.add(...Array.from({ length: 20 }, (_, index) => fixtureReading(index + 1)));
    api.fail({ kind: 'status', status: 429, retryAfter: '1' }, { kind: 'status', status: 500 }, { kind: 'slow', delayMs: 3_000 });
    const retries: string[] = [];
    const job = jobFor('faults', api, '/readings', cursor, { log: (line) => retries.push(line) });
    expect(await runPollJob(job)).toMatchObject({ read: 20, produced: 20, failedPolls: 0 });
    expect(retries.join('\n')).toContain('429 Too Many Requests (Retry-After 1000 ms); retrying in 1000 ms');
    expect(retries.join('\n')).toMatch(/no complete response within 2000 ms; retrying/);
    expect(api.requests.slice(0, 2).map((request) => request.status)).toEqual([429, 500]);
    expect(sorted(await idsOn(job.topic.topic))).toEqual(sorted(expectedIds(1, 20)));

    // Malformed on every attempt of one poll: the poll fails (logged, counted), the next one succeeds.
    api.add(fixtureReading(21));
    api.fail({ kind: 'malformed' }, { kind: 'malformed' });
    const lines: string[] = [];
    const summary = await runPollJob({ ...job, polls: 2, maxAttempts: 2, log: (line) => lines.push(line) });
    expect(summary).toMatchObject({ read: 1, produced: 1, failedPolls: 1 });
    expect(lines.join('\n')).toMatch(/poll 1 FAILED .*the body is not JSON/);
  });

  it('dead-letters an item that breaks the contract, and stops on a 404', async () => {
    const broken = { ...fixtureReading(3), readings: { temperature_c: 'hot', humidity_pct: 40, pressure_hpa: 1013 } };
    api.add(fixtureReading(1), fixtureReading(2), broken, fixtureReading(4));
    const job = jobFor('contract', api, '/readings', cursor);
    expect(await runPollJob(job)).toMatchObject({ read: 4, produced: 3, deadLettered: 1, reconciled: true });
    const [letter, ...more] = await dataRecords(`it-poll-${runId}-contract-dlq`);
    expect(more).toHaveLength(0);
    expect(JSON.parse(letter?.value.toString() ?? 'null')).toEqual(broken);
    expect(letter?.headers[HEADERS.reason]).toContain('temperature');

    await expect(runPollJob(jobFor('missing', api, '/nothing-here', cursor))).rejects.toMatchObject({ name: 'PollHttpError', retriable: false, reasonClass: 'poll-status' });
  });
});
