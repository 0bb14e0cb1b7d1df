import { randomUUID } from 'node:crypto';
import { requiredEnv } from '@pipeline/config';
import { createKafkaClient, ensureTopics, parseBrokerList } from '../index';

describe('ensureTopics (real broker)', () => {
  const kafka = createKafkaClient({ brokers: parseBrokerList(requiredEnv('KAFKA_BROKERS')), clientId: 'topics-it' });
  const topic = `topics-it-${randomUUID()}`;

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('creates a topic named twice (two stages writing one topic) once, and leaves it alone afterwards', async () => {
    await ensureTopics(kafka, [{ topic, partitions: 2 }, { topic, partitions: 2 }]);
    await ensureTopics(kafka, [{ topic, partitions: 5 }]);
    const admin = kafka.admin();
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] }).finally(() => admin.disconnect());
    expect(metadata.topics[0]?.partitions).toHaveLength(2);
  });
});
