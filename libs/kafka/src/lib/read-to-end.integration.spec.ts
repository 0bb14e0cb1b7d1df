/** Reads to the end offsets taken at the start: all of a partition, or only its newest offsets. */
import { randomUUID } from 'node:crypto';
import { requiredEnv } from '@pipeline/config';
import { createKafkaClient, createReliableProducer, ensureTopics, parseBrokerList, readPartitionsToEnd, SEND_DEFAULTS, withAdmin } from '../index';

describe('readPartitionsToEnd (real broker)', () => {
  const run = randomUUID().slice(0, 8);
  const kafka = createKafkaClient({ brokers: parseBrokerList(requiredEnv('KAFKA_BROKERS')), clientId: `read-to-end-${run}` });
  const topic = `read-to-end-${run}`;

  beforeAll(async () => {
    await ensureTopics(kafka, [{ topic, partitions: 2 }]);
    const producer = createReliableProducer(kafka);
    await producer.connect();
    // One produce request: each partition's 50 records land in one record batch.
    await producer.send({ ...SEND_DEFAULTS, topic, messages: Array.from({ length: 100 }, (_, n) => ({ key: `k${n}`, value: String(n), partition: n % 2 })) });
    await producer.disconnect();
  });

  afterAll(() => withAdmin(kafka, (admin) => admin.deleteTopics({ topics: [topic] })));

  const read = async (partitions: number[], lastOffsets?: number) => {
    const seen: string[] = [];
    await readPartitionsToEnd(kafka, topic, partitions, (record, partition) => seen.push(`${partition}:${record.offset}`), { lastOffsets });
    return seen.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  };

  it('reads every record of the given partitions, or only the newest offsets of each (from inside a record batch)', async () => {
    expect(await read([0, 1])).toHaveLength(100);
    expect(await read([1], 5)).toEqual(['1:45', '1:46', '1:47', '1:48', '1:49']);
    expect(await read([0, 1], 2)).toEqual(['0:48', '0:49', '1:48', '1:49']);
    expect(await read([0], 500)).toHaveLength(50);
  });
});
