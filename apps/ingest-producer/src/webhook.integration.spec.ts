/**
 * The service over HTTP against the real broker and registry: POST /ingest/:domain
 * authenticated (guessing locked out per client address), rate limited and idempotent, its counters on /metrics (served on OPS_PORT).
 * Topics get a namespace of their own (PIPELINE_TOPIC_NAMESPACE), set in the service's
 * environment by the first import.
 */
import { API_KEY, AUTH_FAILURES_PER_MIN, BURST_API_KEY, HMAC_SECRET, HTTP_PORT, OPS_PORT, RATE_LIMIT_PER_MIN, TOPIC_NAMESPACE } from './testing/isolated-service-env';
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { deadLetterTopic, HEADERS, sensorReadingsTopic, TopicNamespace } from '@pipeline/contracts';
import { webhookSignature } from '@pipeline/ingest';
import { createKafkaClient, parseBrokerList, readTopicToEnd } from '@pipeline/kafka';
import { runService } from '@pipeline/service-kit';
import { AppModule } from './app.module';
import { ingestProducer } from './service';

jest.setTimeout(120_000);

const topics = TopicNamespace.of(TOPIC_NAMESPACE);

const kafka = () => createKafkaClient({ brokers: parseBrokerList(process.env['KAFKA_BROKERS'] ?? ''), clientId: 'webhook-it' });

/** Every record of a topic: key, value and headers as text. */
async function recordsOf(topic: string): Promise<Array<{ key: string; value: string; headers: Record<string, string> }>> {
  const records: Array<{ key: string; value: string; headers: Record<string, string> }> = [];
  await readTopicToEnd(kafka(), topic, (record) =>
    records.push({
      key: record.key?.toString() ?? '',
      value: record.value?.toString() ?? '',
      headers: Object.fromEntries(Object.entries(record.headers ?? {}).map(([name, value]) => [name, String(value)])),
    }),
  );
  return records;
}

describe('ingest-producer webhook (real broker and registry)', () => {
  let app: INestApplication;
  const base = `http://127.0.0.1:${HTTP_PORT}`;
  const ops = `http://127.0.0.1:${OPS_PORT}`;

  beforeAll(async () => {
    app = await runService(AppModule, ingestProducer);
  });

  afterAll(async () => {
    await app?.close();
    const admin = kafka().admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(TOPIC_NAMESPACE));
    await admin.deleteTopics({ topics }).finally(() => admin.disconnect());
  });

  const json = { 'content-type': 'application/json' };
  const send = (path: string, body: string, headers: Record<string, string>) => fetch(`${base}${path}`, { method: 'POST', headers, body });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) => send(path, JSON.stringify(body), { ...json, 'x-api-key': API_KEY, ...headers });
  const metrics = async () => (await fetch(`${ops}/metrics`)).text();
  /** Sum of a metric's samples whose labels include all of `labels`. */
  const total = (text: string, name: string, ...labels: string[]) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) && labels.every((label) => line.includes(label)))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  const reading = {
    sensorId: 'sensor-1',
    timestamp: 1_709_280_000_000,
    temperature: 21.5,
    humidity: 40,
    pressure: 1013.2,
    location: { latitude: 52.5, longitude: 13.4 },
    batteryLevel: 0.8,
  };

  it('answers 202 with counts for valid events, 207 with per-item reasons for a mixed batch (valid ones published), 404 for an unknown domain', async () => {
    const accepted = await post('/ingest/iot', [reading, { ...reading, sensorId: 'sensor-2' }]);
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toEqual({ status: 202, domain: 'iot', accepted: 2, rejected: 0, rejections: [] });

    const mixed = await post('/ingest/iot', [{ ...reading, batteryLevel: 1.7 }, reading]);
    expect(mixed.status).toBe(207);
    expect(await mixed.json()).toEqual({ status: 207, domain: 'iot', accepted: 1, rejected: 1, rejections: [{ index: 0, reason: expect.stringContaining('batteryLevel') }] });

    const none = await post('/ingest/iot', [{ ...reading, batteryLevel: 1.7 }]);
    expect(none.status).toBe(400);
    expect(await none.json()).toMatchObject({ status: 400, accepted: 0, rejected: 1 });

    expect((await post('/ingest/weather', reading)).status).toBe(404);

    const text = await metrics();
    // OPS_PORT set: /metrics and /health there only.
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    expect((await fetch(`${base}/health`)).status).toBe(404);
    expect([200, 503]).toContain((await fetch(`${ops}/health`)).status);
    expect((await fetch(`${ops}/ingest/iot`, { method: 'POST' })).status).toBe(404);
    expect(total(text, 'pipeline_ingest_records_read_total', 'source="webhook:iot"')).toBe(5);
    expect(total(text, 'pipeline_ingest_records_produced_total', 'source="webhook:iot"')).toBe(3);
    expect(total(text, 'pipeline_ingest_dead_letters_total', 'source="webhook:iot"')).toBe(2);
    expect(total(text, 'http_requests_total', 'route="/ingest/:domain"', 'method="POST"', 'status="207"')).toBe(1);
    expect(text).toContain('# TYPE pipeline_ingest_records_produced_total counter');
    expect(text).toContain('service="ingest-producer"');
  });

  it('refuses 401 without credentials, with a wrong key or bearer, a bad signature or one outside the replay window; accepts a valid signature', async () => {
    const body = JSON.stringify({ ...reading, sensorId: 'signed-1' });
    const nowS = Math.floor(Date.now() / 1000);
    const signed = (timestamp: number, secret = HMAC_SECRET) => ({ ...json, 'x-webhook-timestamp': String(timestamp), 'x-webhook-signature': webhookSignature(secret, String(timestamp), body) });
    const refused = [
      await send('/ingest/iot', body, json),
      await send('/ingest/iot', body, { ...json, 'x-api-key': `${API_KEY}x` }),
      await send('/ingest/iot', body, { ...json, authorization: 'Bearer nope' }),
      await send('/ingest/iot', body, signed(nowS, 'not-the-secret-at-all')),
      await send('/ingest/iot', body, signed(nowS - 301)),
      await send('/ingest/iot', `${body} `, signed(nowS)),
    ];
    expect(refused.map((response) => response.status)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(refused[0]?.headers.get('www-authenticate')).toContain('HMAC-SHA256');
    expect((await refused[4]?.json()) as { message: string }).toMatchObject({ message: expect.stringContaining('replay window') });

    const ok = await send('/ingest/iot', body, signed(nowS));
    expect(ok.status).toBe(202);
    const bearer = await send('/ingest/iot', JSON.stringify({ ...reading, sensorId: 'bearer-1' }), { ...json, authorization: `Bearer ${API_KEY}` });
    expect(bearer.status).toBe(202);
    expect(total(await metrics(), 'webhook_requests_rejected_total', 'reason="invalid-key"')).toBe(2);
  });

  it('answers 429 with Retry-After past the per-key limit, other keys unaffected', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i <= RATE_LIMIT_PER_MIN; i += 1) {
      const response = await post('/ingest/iot', { ...reading, sensorId: `burst-${i}` }, { 'x-api-key': BURST_API_KEY });
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get('retry-after');
    }
    expect(statuses.slice(0, RATE_LIMIT_PER_MIN).every((status) => status === 202)).toBe(true);
    expect(statuses[RATE_LIMIT_PER_MIN]).toBe(429);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect((await post('/ingest/iot', { ...reading, sensorId: 'after-burst' })).status).toBe(202);
  });

  it('publishes a delivery retried with the same Idempotency-Key once, and refuses the key with another body', async () => {
    const key = randomUUID();
    const batch = [
      { ...reading, sensorId: `idem-${key}` },
      { ...reading, sensorId: `idem-${key}`, timestamp: reading.timestamp + 1 },
    ];
    const first = await post('/ingest/iot', batch, { 'idempotency-key': key });
    const again = await post('/ingest/iot', batch, { 'idempotency-key': key });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toMatchObject({ accepted: 2, replayed: true });
    expect((await post('/ingest/iot', batch.slice(1), { 'idempotency-key': key })).status).toBe(422);

    const published = (await recordsOf(topics.bind(sensorReadingsTopic).topic)).filter((record) => record.key === `idem-${key}` && record.value !== '');
    expect(published).toHaveLength(2);
  });

  it('answers 415 for a wrong content type and 413 past the body limit', async () => {
    const plain = await send('/ingest/iot', JSON.stringify(reading), { 'content-type': 'text/plain', 'x-api-key': API_KEY });
    expect(plain.status).toBe(415);
    expect(await plain.json()).toMatchObject({ message: expect.stringContaining('application/json') });
    const huge = await send('/ingest/iot', JSON.stringify([reading]).padEnd(2_000_000, ' '), { ...json, 'x-api-key': API_KEY });
    expect(huge.status).toBe(413);
  });

  it('refuses a 5,000-level nested body with 400, counts it and dead-letters its start', async () => {
    const before = await metrics();
    const deadLetteredBefore = total(before, 'pipeline_ingest_dead_letters_total', 'source="webhook:iot"');
    const deep = `{"sensorId":"deep-${randomUUID()}","x":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const response = await send('/ingest/iot', deep, { ...json, 'x-api-key': API_KEY });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'too-deep', message: expect.stringContaining('deeper than 32') });

    const after = await metrics();
    expect(total(after, 'pipeline_ingest_dead_letters_total', 'source="webhook:iot"')).toBe(deadLetteredBefore + 1);
    expect(total(after, 'webhook_requests_rejected_total', 'reason="too-deep"')).toBe(1);
    const letters = await recordsOf(topics.bind(deadLetterTopic).topic);
    const letter = letters.find((record) => record.headers[HEADERS.reasonClass] === 'too-deep');
    expect(letter?.headers[HEADERS.source]).toBe('webhook:iot');
    expect(letter?.value).toContain(deep.slice(0, 100).replaceAll('"', '\\"'));
    expect(letter?.value.length).toBeLessThan(5000);
  });

  // Needs the contracts' string bounds (sensorId); until they are merged the item is accepted (202).
  it('rejects and dead-letters a reading whose 20,000-character key breaks the contract', async () => {
    const sensorId = 'k'.repeat(20_000);
    const response = await post('/ingest/iot', { ...reading, sensorId });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ accepted: 0, rejected: 1, rejections: [{ index: 0, reason: expect.stringContaining('sensorId') }] });
  });

  // The service trusts the loopback proxy here (HTTP_TRUST_PROXY): X-Forwarded-For names the client address.
  it('locks a client address out after its failed authentications of the minute, valid key or not; other addresses unaffected', async () => {
    const from = (address: string) => ({ 'x-forwarded-for': address });
    const guesses: number[] = [];
    for (let guess = 0; guess < AUTH_FAILURES_PER_MIN; guess += 1) {
      guesses.push((await post('/ingest/iot', { ...reading, sensorId: 'guessing' }, { 'x-api-key': `guess-${guess}-${randomUUID()}`, ...from('203.0.113.7') })).status);
    }
    expect(guesses).toEqual(Array.from({ length: AUTH_FAILURES_PER_MIN }, () => 401));

    const locked = await post('/ingest/iot', { ...reading, sensorId: 'locked-out' }, from('203.0.113.7'));
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await locked.json()) as { message: string }).toMatchObject({ message: expect.stringContaining('WEBHOOK_AUTH_FAILURES_PER_MIN') });

    expect((await post('/ingest/iot', { ...reading, sensorId: 'other-address' }, from('198.51.100.1'))).status).toBe(202);
    expect((await post('/ingest/iot', { ...reading, sensorId: 'direct' })).status).toBe(202);
    expect(total(await metrics(), 'webhook_requests_rejected_total', 'reason="auth-locked-out"')).toBe(1);
  });
});
