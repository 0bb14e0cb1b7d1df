/**
 * The poll job of the command line against a real HTTP server (the fixture API, slowed down)
 * and the real broker: killed (SIGKILL) mid-pagination three times and run again with the same
 * command; every item is then on the topic exactly once (read_committed).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { heartbeatEventTime, sensorReading } from '@pipeline/contracts';
import { createAvroCodec, createKafkaClient, createSchemaRegistry, parseBrokerList, readTopicToEnd } from '@pipeline/kafka';
import { FIXTURE_MAPPING, FixtureApi, fixtureReading } from '@pipeline/ingest';
import { requiredEnv } from '@pipeline/config';
import { startFromSource } from './testing/source-process';

jest.setTimeout(600_000);

const ITEMS = 2_000;

describe('poll job: kill -9 mid-pagination, run again, every item exactly once', () => {
  const runId = randomUUID().slice(0, 8);
  const namespace = `it-poll-${runId}.`;
  const env = { PIPELINE_TOPIC_NAMESPACE: namespace, KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'), SCHEMA_REGISTRY_URL: requiredEnv('SCHEMA_REGISTRY_URL'), LOG_LEVEL: 'warn' };
  const kafka = createKafkaClient({ brokers: parseBrokerList(env.KAFKA_BROKERS), clientId: `poll-it-${runId}` });
  const directory = mkdtempSync(join(tmpdir(), 'poll-it-'));
  // 20 items a page, 25 ms a response: about 100 pages over a few seconds.
  const api = new FixtureApi(20, 25);

  beforeAll(async () => {
    await api.start();
    api.add(...Array.from({ length: ITEMS }, (_, index) => fixtureReading(index + 1)));
  });

  afterAll(async () => {
    await api.stop();
    rmSync(directory, { recursive: true, force: true });
    const admin = kafka.admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(namespace));
    await admin.deleteTopics({ topics }).finally(() => admin.disconnect());
  });

  it(`${ITEMS} items over ${ITEMS / 20} pages: killed 3 times mid-pagination, every item once`, async () => {
    const config = join(directory, 'poll.json');
    writeFileSync(config, JSON.stringify({ domain: 'iot', url: `${api.url}/readings`, ...FIXTURE_MAPPING, pagination: { kind: 'cursor', cursor: '/next_cursor', param: 'cursor' }, timeoutMs: 5000 }));
    const args = ['poll', '--config', config, '--polls', '1'];
    let killedMidStream = 0;
    let summary = '';
    for (let run = 0; ; run += 1) {
      const child = startFromSource(args, env);
      if (run < 3) {
        await child.waitForStderr('(dead letters:').catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 1_500));
        const stillRunning = child.child.exitCode === null;
        await child.kill('SIGKILL');
        if (stillRunning) {
          killedMidStream += 1;
          continue;
        }
      }
      const code = await child.exited;
      if (code !== 0) throw new Error(`run ${run + 1} exited ${code}: ${child.stderr().slice(-3000)}`);
      summary = child.stdout();
      break;
    }
    expect(killedMidStream).toBeGreaterThan(0);
    expect(summary).toContain(`all runs: ${ITEMS.toLocaleString('en-US')} read = ${ITEMS.toLocaleString('en-US')} produced + 0 dead-lettered`);

    const topic = `${namespace}iot.sensor-readings`;
    const codec = await createAvroCodec(createSchemaRegistry(env.SCHEMA_REGISTRY_URL), { subject: `${topic}-value`, schema: sensorReading.avroSchema, validate: sensorReading.parse });
    const values: Buffer[] = [];
    await readTopicToEnd(kafka, topic, (record) => {
      if (heartbeatEventTime(record.headers) === undefined && record.value) values.push(record.value);
    });
    expect(values).toHaveLength(ITEMS);
    const times = new Set<number>();
    for (const value of values) times.add((await codec.decode(value)).timestamp);
    expect(times.size).toBe(ITEMS);
  });
});
