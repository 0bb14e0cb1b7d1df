/**
 * Start-up that waits instead of crashing: the service is started (as its own process) with
 * Kafka, then the registry, behind a TCP proxy that refuses connections. It must answer
 * /health 503 naming what it waits for, then, once the proxy forwards to the real stack,
 * become healthy and finish its replay job.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createKafkaClient, parseBrokerList } from '@pipeline/kafka';
import { requiredEnv } from '@pipeline/config';
import { freePort, startTcpProxy, type TcpProxy } from '@pipeline/stack';
import { REPO_ROOT, startFromSource, type SourceProcess } from './testing/source-process';

jest.setTimeout(300_000);

const SAMPLE = join(REPO_ROOT, 'libs/ingest/sample/clickstream-sample.csv');

async function health(port: number): Promise<{ status: number; body: string }> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5_000) });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    return { status: 0, body: error instanceof Error ? error.message : String(error) };
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    last = await probe();
    if (last !== undefined) return last as T;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('ingest-producer start-up with an unreachable dependency', () => {
  const runId = randomUUID().slice(0, 8);
  const brokers = requiredEnv('KAFKA_BROKERS');
  const registryUrl = new URL(requiredEnv('SCHEMA_REGISTRY_URL'));
  let proxy: TcpProxy | undefined;
  let service: SourceProcess | undefined;

  afterEach(async () => {
    await service?.kill('SIGTERM');
    await proxy?.close();
  });

  afterAll(async () => {
    const admin = createKafkaClient({ brokers: parseBrokerList(brokers), clientId: `startup-it-${runId}` }).admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`it-startup-${runId}`));
    await admin.deleteTopics({ topics }).finally(() => admin.disconnect());
  });

  const cases: Array<[string, () => string, (address: string) => Record<string, string>]> = [
    ['kafka', () => brokers.split(',')[0] ?? '', (address) => ({ KAFKA_BROKERS: address })],
    ['schema registry', () => registryUrl.host, (address) => ({ SCHEMA_REGISTRY_URL: `${registryUrl.protocol}//${address}${registryUrl.pathname}` })],
  ];

  it.each(cases)('%s unreachable: /health 503 "starting: waiting for" it, then healthy and the job done once it answers', async (dependency, target, endpoint) => {
    proxy = await startTcpProxy({ target: target(), blocked: 'refuse' });
    const port = await freePort();
    service = startFromSource([], {
      KAFKA_BROKERS: brokers,
      SCHEMA_REGISTRY_URL: registryUrl.toString(),
      ...endpoint(proxy.address),
      PIPELINE_TOPIC_NAMESPACE: `it-startup-${runId}-${dependency.replace(' ', '-')}.`,
      HTTP_PORT: String(port),
      INGEST_CSV_FILE: SAMPLE,
      INGEST_PACE: 'asap',
      INGEST_GENERATORS: 'none',
      LOG_LEVEL: 'warn',
    });
    const starting = await waitFor('503 naming the dependency', async () => {
      const answer = await health(port);
      return answer.status === 503 && answer.body.includes(`starting: waiting for ${dependency}`) ? answer : undefined;
    });
    expect(starting.body).toContain(`starting: waiting for ${dependency}:`);
    // Still waiting a few retries later: the service stays up.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await health(port)).toMatchObject({ status: 503, body: expect.stringContaining(`waiting for ${dependency}`) });
    process.stdout.write(`${dependency} unreachable: ${starting.body}\n`);

    await proxy.unblock();
    const unblockedAt = Date.now();
    await waitFor('healthy with the replay done', async () => {
      const answer = await health(port);
      if (answer.status !== 200) return undefined;
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const produced = metrics.split('\n').find((line) => line.startsWith('pipeline_ingest_records_produced_total{') && line.includes(`source="${SAMPLE}"`));
      return produced?.endsWith(' 390') ? true : undefined;
    });
    // Reported, not asserted (shared CPU): the issue asks for 15 s.
    process.stdout.write(`${dependency} back: healthy with the job done after ${Date.now() - unblockedAt} ms\n`);
    expect(service.child.exitCode).toBeNull();
  });
});
