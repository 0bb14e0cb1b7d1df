import { randomUUID } from 'node:crypto';
import { requiredEnv } from '@pipeline/config';
import { createKafkaClient, ensureTopics, parseBrokerList, readTopicToEnd, type Producer } from '../index';

/**
 * On the real broker: two producers' transactions overlap in one partition and both abort (a
 * zombie and the replica that fenced it both lose a transaction, say) around a committed one.
 * A read-committed reader must see only the committed records, whichever offset it starts at.
 */
describe('read-committed reads of overlapping aborted transactions (real broker)', () => {
  const kafka = createKafkaClient({ brokers: parseBrokerList(requiredEnv('KAFKA_BROKERS')), clientId: 'aborted-it' });
  const topic = `aborted-it-${randomUUID()}`;
  const producers: Producer[] = [];

  const transactional = async (name: string) => {
    const producer = kafka.producer({ transactionalId: `${topic}.${name}`, idempotent: true, maxInFlightRequests: 1 });
    producers.push(producer);
    await producer.connect();
    return producer;
  };

  afterAll(async () => {
    await Promise.allSettled(producers.map((producer) => producer.disconnect()));
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('hides every aborted record, read from the beginning and from inside the aborted transactions', async () => {
    await ensureTopics(kafka, [{ topic, partitions: 1 }]);
    const [a, b, c] = [await transactional('a'), await transactional('b'), await transactional('c')];
    const send = (transaction: Awaited<ReturnType<Producer['transaction']>>, value: string) => transaction.send({ topic, messages: [{ value, partition: 0 }] });
    const [ta, tb, tc] = [await a.transaction(), await b.transaction(), await c.transaction()];
    await send(ta, 'aborted-a0');
    await send(tb, 'aborted-b1');
    await send(ta, 'aborted-a2');
    await send(tb, 'aborted-b3');
    await send(tc, 'committed-c4');
    // B ends first, so the broker lists B's aborted transaction before A's.
    await tb.abort();
    await ta.abort();
    await tc.commit();

    const seen: string[] = [];
    await readTopicToEnd(kafka, topic, (message) => seen.push(message.value?.toString() ?? ''));
    expect(seen).toEqual(['committed-c4']);

    // A consumer that starts at a2, inside both aborted transactions.
    const fromInside: string[] = [];
    const consumer = kafka.consumer({ groupId: `${topic}.inside`, readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const reachedEnd = new Promise<void>((resolve) => {
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) fromInside.push(message.value?.toString() ?? '');
          if (fromInside.includes('committed-c4')) resolve();
        },
      });
    });
    consumer.seek({ topic, partition: 0, offset: '2' });
    await reachedEnd;
    await consumer.disconnect();
    expect(fromInside).toEqual(['committed-c4']);
  }, 60_000);
});
