/**
 * The webhook's answered Idempotency-Keys outlive the process (real broker and registry): a delivery
 * retried after a restart is answered as the first run answered it, and publishes nothing twice.
 */
import { randomUUID } from 'node:crypto';
import { requiredEnv } from '@pipeline/config';
import { deadLetterTopic, sensorReadingsTopic, TopicNamespace } from '@pipeline/contracts';
import { createKafkaClient, createReliableProducer, parseBrokerList, readTopicToEnd, withAdmin } from '@pipeline/kafka';
import { IdempotencyConflictError, IngestClient, webhookDeliveriesSpec, WebhookIngestor } from './index';

describe('webhook Idempotency-Keys across a restart (real broker and registry)', () => {
  const runId = randomUUID().slice(0, 8);
  const topics = TopicNamespace.of(`it-deliveries-${runId}.`);
  const connection = { kafka: { brokers: parseBrokerList(requiredEnv('KAFKA_BROKERS')) }, registry: requiredEnv('SCHEMA_REGISTRY_URL'), clientId: `deliveries-it-${runId}` };
  const kafka = createKafkaClient({ ...connection.kafka, clientId: `deliveries-it-reader-${runId}` });
  const deliveriesTopic = webhookDeliveriesSpec(topics, 3_600_000);

  afterAll(async () => {
    await withAdmin(kafka, async (admin) => {
      const created = (await admin.listTopics()).filter((topic) => topic.startsWith(`it-deliveries-${runId}.`));
      await admin.deleteTopics({ topics: created });
    });
  });

  /** One run of the service's webhook: its own client and producer, as a process has. */
  async function run<T>(work: (post: (body: unknown, key: string) => ReturnType<WebhookIngestor['ingest']>) => Promise<T>): Promise<T> {
    const client = new IngestClient(connection);
    const producer = createReliableProducer(client.kafka);
    await producer.connect();
    const webhook = new WebhookIngestor({ client, producer, topics, deadLetterTopic: topics.bind(deadLetterTopic), deliveriesTopic });
    try {
      return await work((body, key) => webhook.ingest('iot', Buffer.from(JSON.stringify(body)), 'application/json', { client: 'sender-a', idempotencyKey: key }));
    } finally {
      await webhook.close();
      await producer.disconnect();
    }
  }

  it('answers a retry after a restart as the first run did, publishing nothing again; the key with another body is still refused', async () => {
    const reading = { sensorId: `idem-${runId}`, timestamp: 1_709_280_000_000, temperature: 21.5, humidity: 40, pressure: 1013.2, location: { latitude: 52.5, longitude: 13.4 }, batteryLevel: 0.8 };
    const batch = [reading, { ...reading, timestamp: reading.timestamp + 1 }, { ...reading, temperature: 'hot' }];
    const [key, other] = [randomUUID(), randomUUID()];

    const first = await run(async (post) => [await post(batch, key), await post([{ ...reading, timestamp: reading.timestamp + 2 }], other)]);
    expect(first[0]).toMatchObject({ status: 207, accepted: 2, rejected: 1 });

    // A new process: it reads the kept answers before its first keyed delivery.
    await run(async (post) => {
      expect(await post(batch, key)).toEqual({ ...first[0], replayed: true });
      expect(await post([{ ...reading, timestamp: reading.timestamp + 2 }], other)).toEqual({ ...first[1], replayed: true });
      await expect(post(batch.slice(1), key)).rejects.toThrow(IdempotencyConflictError);
      // A new key runs.
      expect(await post([{ ...reading, timestamp: reading.timestamp + 3 }], randomUUID())).toMatchObject({ status: 202, accepted: 1 });
    });

    const published: number[] = [];
    await readTopicToEnd(kafka, topics.bind(sensorReadingsTopic).topic, (record) => {
      if (record.key?.toString() === reading.sensorId && record.value !== null && record.value.length > 0) published.push(Number(record.offset));
    });
    expect(published).toHaveLength(4);
  });
});
