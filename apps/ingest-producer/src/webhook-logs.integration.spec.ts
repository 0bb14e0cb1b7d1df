/**
 * No credentials in logs: the service (its own process, run from source) answers a webhook
 * post with 503 because its schema registry is unreachable; the error's log line names the
 * request but shows none of its credential headers.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { requiredEnv } from '@pipeline/config';
import { createKafkaClient, parseBrokerList } from '@pipeline/kafka';
import { startFromSource, type SourceProcess } from './testing/source-process';

jest.setTimeout(180_000);

/** A port nothing listens on: asked of the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function waitForHttp(url: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answered = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
      () => true,
      () => false,
    );
    if (answered) return;
    if (Date.now() > deadline) throw new Error(`${url}: no answer within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('ingest-producer: a 5xx log line carries no credentials', () => {
  const runId = randomUUID().slice(0, 8);
  const namespace = `it-weblogs-${runId}.`;
  const apiKey = `it-log-key-${randomUUID()}`;
  const cookie = `session=cookie-secret-${randomUUID()}`;
  let service: SourceProcess | undefined;

  afterAll(async () => {
    await service?.kill('SIGTERM');
    const admin = createKafkaClient({ brokers: parseBrokerList(requiredEnv('KAFKA_BROKERS')), clientId: `weblogs-${runId}` }).admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(namespace));
    await admin.deleteTopics({ topics }).finally(() => admin.disconnect());
  });

  it('logs the 503 with authorization, cookie and API-key headers redacted', async () => {
    const httpPort = await closedPort();
    const registryPort = await closedPort();
    service = startFromSource([], {
      PIPELINE_TOPIC_NAMESPACE: namespace,
      KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'),
      SCHEMA_REGISTRY_URL: `http://registry-user:registry-password-${runId}@127.0.0.1:${registryPort}/apis/ccompat/v7`,
      INGEST_GENERATORS: 'none',
      HTTP_PORT: String(httpPort),
      LOG_LEVEL: 'info',
      WEBHOOK_API_KEYS: `logs:${apiKey}`,
    });
    const base = `http://127.0.0.1:${httpPort}`;
    await waitForHttp(`${base}/health`);
    const reading = { sensorId: 's-1', timestamp: 1_709_280_000_000, temperature: 21.5, humidity: 40, pressure: 1013.2, location: { latitude: 52.5, longitude: 13.4 }, batteryLevel: 0.8 };
    const send = (headers: Record<string, string>) =>
      fetch(`${base}/ingest/iot`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, ...headers }, body: JSON.stringify(reading) });
    const byBearer = await send({ authorization: `Bearer ${apiKey}` });
    const byHeader = await send({ 'x-api-key': apiKey });
    expect([byBearer.status, byHeader.status]).toEqual([503, 503]);
    expect(byBearer.headers.get('retry-after')).toBe('5');

    // pino writes asynchronously: wait for both error lines.
    const deadline = Date.now() + 10_000;
    while ((service.stdout().match(/"level":50/g) ?? []).length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const logs = service.stdout() + service.stderr();
    const errors = logs.split('\n').filter((line) => line.includes('"level":50'));
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors.join('\n')).toContain('/ingest/iot');
    // The headers are in the line, their values hidden.
    expect(errors.join('\n')).toContain('"authorization":"[redacted]"');
    expect(errors.join('\n')).toContain('"x-api-key":"[redacted]"');
    expect(errors.join('\n')).toContain('"cookie":"[redacted]"');
    expect(logs).not.toContain(apiKey);
    expect(logs).not.toContain(cookie);
    expect(logs).not.toContain(`registry-password-${runId}`);
  });
});
