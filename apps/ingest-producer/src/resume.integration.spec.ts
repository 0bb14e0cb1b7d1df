/**
 * Exactly-once, resumable ingestion against the real broker and registry: the command line
 * is killed (SIGKILL) at random moments mid-stream and run again with the same command until
 * it finishes; every input is then on the topics exactly once (read_committed), in order per key.
 * Each run uses a topic namespace of its own (topics, positions, subjects).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clickEvent, heartbeatEventTime, sensorReading } from '@pipeline/contracts';
import { createAvroCodec, createKafkaClient, createSchemaRegistry, parseBrokerList, readTopicToEnd, type Kafka } from '@pipeline/kafka';
import { isBrokenClickstreamRow, writeClickstreamCsv } from '@pipeline/ingest';
import { requiredEnv } from '@pipeline/config';
import { startFromSource } from './testing/source-process';

jest.setTimeout(900_000);

const ROWS = 100_000;
const INVALID_EVERY = 1_000;

interface Landed {
  key: string;
  partition: number;
  value: Buffer;
}

async function dataRecords(kafka: Kafka, topic: string): Promise<Landed[]> {
  const records: Landed[] = [];
  await readTopicToEnd(kafka, topic, (record, partition) => {
    if (heartbeatEventTime(record.headers) !== undefined || !record.value) return;
    records.push({ key: record.key?.toString() ?? '', partition, value: record.value });
  });
  return records;
}

/**
 * Runs the command, SIGKILLs it `kills` times at a random moment after it started sending,
 * then runs it to its end; resolves with the last run's summary (stdout).
 */
async function killAndResume(args: string[], env: Record<string, string>, kills: number): Promise<{ summary: string; killedMidStream: number }> {
  let killedMidStream = 0;
  for (let run = 0; ; run += 1) {
    const process = startFromSource(args, env);
    if (run < kills) {
      // Sending has started once the job names its topics (after any resume line).
      await process.waitForStderr('(dead letters:').catch(() => undefined);
      // Early enough to land mid-stream on a quick machine too: 100,000 CSV rows take about half a second at asap.
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 250));
      const stillRunning = process.child.exitCode === null;
      await process.kill('SIGKILL');
      if (stillRunning) {
        killedMidStream += 1;
        continue;
      }
    }
    const code = await process.exited;
    if (code !== 0) throw new Error(`run ${run + 1} exited ${code}: ${process.stderr().slice(-3000)}`);
    return { summary: process.stdout(), killedMidStream };
  }
}

describe('resumable ingestion: kill -9 mid-stream, run again, every input exactly once', () => {
  const runId = randomUUID().slice(0, 8);
  const namespace = `it-resume-${runId}.`;
  const env = { PIPELINE_TOPIC_NAMESPACE: namespace, KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'), SCHEMA_REGISTRY_URL: requiredEnv('SCHEMA_REGISTRY_URL'), LOG_LEVEL: 'warn' };
  const kafka = createKafkaClient({ brokers: parseBrokerList(env.KAFKA_BROKERS), clientId: `resume-it-${runId}` });
  const registry = createSchemaRegistry(env.SCHEMA_REGISTRY_URL);
  const directory = mkdtempSync(join(tmpdir(), 'resume-it-'));

  afterAll(async () => {
    rmSync(directory, { recursive: true, force: true });
    const admin = kafka.admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(namespace));
    await admin.deleteTopics({ topics }).finally(() => admin.disconnect());
  });

  it(`CSV replay of ${ROWS.toLocaleString('en-US')} rows: killed 3 times, every valid row once on the topic in file order per key, every broken row once dead-lettered`, async () => {
    const { file } = await writeClickstreamCsv(join(directory, 'clicks.csv'), { rows: ROWS, invalidEvery: INVALID_EVERY });
    const broken = Array.from({ length: ROWS }, (_, index) => index + 1).filter((row) => isBrokenClickstreamRow(row, INVALID_EVERY)).length;
    const { summary, killedMidStream } = await killAndResume(['replay', '--file', file, '--pace', 'asap'], env, 3);
    expect(killedMidStream).toBeGreaterThan(0);
    expect(summary).toContain(`all runs: ${ROWS.toLocaleString('en-US')} read = ${(ROWS - broken).toLocaleString('en-US')} produced + ${broken.toLocaleString('en-US')} dead-lettered`);

    const topic = `${namespace}clickstream.events`;
    const codec = await createAvroCodec(registry, { subject: `${topic}-value`, schema: clickEvent.avroSchema, validate: clickEvent.parse });
    const records = await dataRecords(kafka, topic);
    expect(records).toHaveLength(ROWS - broken);
    const events = await Promise.all(records.map(async (record) => ({ ...record, event: await codec.decode(record.value) })));
    expect(new Set(events.map(({ event }) => event.eventId)).size).toBe(ROWS - broken);
    // The file's rows are 50 ms apart: per key (category), event times rise strictly in partition order.
    const lastByKey = new Map<string, number>();
    for (const { key, event } of events) {
      expect(event.timestamp).toBeGreaterThan(lastByKey.get(key) ?? -1);
      lastByKey.set(key, event.timestamp);
    }
    const deadLetters = await dataRecords(kafka, `${namespace}pipeline.dead-letter`);
    expect(deadLetters).toHaveLength(broken);

    // The same command once more: the job is finished and sends nothing.
    const again = startFromSource(['replay', '--file', file, '--pace', 'asap'], env);
    expect(await again.exited).toBe(0);
    expect(again.stdout()).toContain('already finished before this run, nothing sent');
  });

  it(`generator of ${ROWS.toLocaleString('en-US')} events: killed 3 times, every event once, in sequence per sensor`, async () => {
    const args = ['generate', '--domain', 'iot', '--count', String(ROWS), '--seed', '11', '--rate', '1000', '--keys', '50', '--start', '2024-03-01T00:00:00Z', '--pace', 'asap'];
    const { summary, killedMidStream } = await killAndResume(args, env, 3);
    expect(killedMidStream).toBeGreaterThan(0);
    expect(summary).toContain(`all runs: ${ROWS.toLocaleString('en-US')} read = ${ROWS.toLocaleString('en-US')} produced + 0 dead-lettered`);

    const topic = `${namespace}iot.sensor-readings`;
    const codec = await createAvroCodec(registry, { subject: `${topic}-value`, schema: sensorReading.avroSchema, validate: sensorReading.parse });
    const records = await dataRecords(kafka, topic);
    expect(records).toHaveLength(ROWS);
    const start = Date.parse('2024-03-01T00:00:00Z');
    const seen = new Set<number>();
    const lastByKey = new Map<string, number>();
    for (const record of records) {
      const { sensorId, timestamp } = await codec.decode(record.value);
      seen.add(timestamp - start);
      expect(timestamp).toBeGreaterThan(lastByKey.get(sensorId) ?? -1);
      lastByKey.set(sensorId, timestamp);
    }
    // 1,000 events/s of event time: event n is at start + n ms, each exactly once.
    expect(seen.size).toBe(ROWS);
  });
});
