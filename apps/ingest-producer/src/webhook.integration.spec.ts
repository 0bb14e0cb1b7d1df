/**
 * The service over HTTP against the real broker and registry: POST /ingest/:domain, its
 * counters on /metrics. Topics get a namespace of their own (PIPELINE_TOPIC_NAMESPACE), set
 * by the first import, before the contracts load.
 */
import { HTTP_PORT, TOPIC_NAMESPACE } from './testing/isolated-service-env';
import type { INestApplication } from '@nestjs/common';
import { createKafkaClient, parseBrokerList } from '@pipeline/kafka';
import { runService } from '@pipeline/service-kit';
import { AppModule } from './app.module';
import { ingestProducer } from './service';

describe('ingest-producer webhook (real broker and registry)', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    app = await runService(AppModule, ingestProducer);
    base = `http://127.0.0.1:${HTTP_PORT}`;
  });

  afterAll(async () => {
    await app?.close();
    const admin = createKafkaClient({ brokers: parseBrokerList(process.env['KAFKA_BROKERS'] ?? ''), clientId: 'webhook-it' }).admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(TOPIC_NAMESPACE));
    await admin.deleteTopics({ topics }).finally(() => admin.disconnect());
  });

  const post = (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const reading = {
    sensorId: 'sensor-1',
    timestamp: 1_709_280_000_000,
    temperature: 21.5,
    humidity: 40,
    pressure: 1013.2,
    location: { latitude: 52.5, longitude: 13.4 },
    batteryLevel: 0.8,
  };

  it('answers 202 with counts for valid events, 400 with per-item reasons (valid ones still published), 404 for an unknown domain', async () => {
    const accepted = await post('/ingest/iot', [reading, { ...reading, sensorId: 'sensor-2' }]);
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toEqual({ status: 202, domain: 'iot', accepted: 2, rejected: 0, rejections: [] });

    const mixed = await post('/ingest/iot', [{ ...reading, batteryLevel: 1.7 }, reading]);
    expect(mixed.status).toBe(400);
    expect(await mixed.json()).toEqual({ status: 400, domain: 'iot', accepted: 1, rejected: 1, rejections: [{ index: 0, reason: expect.stringContaining('batteryLevel') }] });

    expect((await post('/ingest/weather', reading)).status).toBe(404);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    const sample = (name: string, ...labels: string[]) => metrics.split('\n').find((line) => line.startsWith(`${name}{`) && labels.every((label) => line.includes(label)));
    expect(sample('pipeline_ingest_records_read_total', 'source="webhook:iot"')).toMatch(/ 4$/);
    expect(sample('pipeline_ingest_records_produced_total', 'source="webhook:iot"')).toMatch(/ 3$/);
    expect(sample('pipeline_ingest_dead_letters_total', 'source="webhook:iot"', 'reason_class="invalid-input"')).toMatch(/ 1$/);
    expect(sample('pipeline_ingest_send_duration_seconds_count', 'source="webhook:iot"')).toMatch(/ 2$/);
    expect(sample('http_requests_total', 'route="/ingest/:domain"', 'method="POST"', 'status="202"')).toMatch(/ 1$/);
    expect(sample('http_requests_total', 'route="/ingest/:domain"', 'method="POST"', 'status="404"')).toMatch(/ 1$/);
    expect(metrics).toContain('# TYPE pipeline_ingest_records_produced_total counter');
    expect(metrics).toContain('service="ingest-producer"');
  });
});
