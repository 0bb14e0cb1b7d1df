/**
 * kafkajs 2.2.4 against the broker this project pins (Kafka 4.4 locally): the protocol
 * features the pipeline relies on — idempotent produce, group consume, rebalance, and
 * transactions that commit consumer offsets (sendOffsets) with read-committed readers.
 */
import { randomUUID } from 'node:crypto';
import { requiredEnv } from '@pipeline/config';
import { createKafkaClient, createReliableProducer, ensureTopics, parseBrokerList, readTopicToEnd, SEND_DEFAULTS, sendOptions } from '../index';

const brokers = () => parseBrokerList(requiredEnv('KAFKA_BROKERS'));

const until = async (condition: () => boolean | Promise<boolean>, what: string | (() => string), timeoutMs = 30000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

describe('kafkajs against the pinned broker', () => {
  const run = randomUUID();
  const kafka = createKafkaClient({ brokers: brokers(), clientId: `protocol-${run}` });
  const input = `protocol-in-${run}`;
  const output = `protocol-out-${run}`;

  beforeAll(() => ensureTopics(kafka, [{ topic: input, partitions: 2 }, { topic: output, partitions: 1 }]));

  it('rebalances a group when a member joins, and commits offsets inside transactions', async () => {
    const producer = createReliableProducer(kafka);
    await producer.connect();
    await producer.send({ ...SEND_DEFAULTS, topic: input, messages: [0, 1, 2, 3].map((n) => ({ key: `k${n}`, value: String(n), partition: n % 2 })) });
    await producer.disconnect();

    const groupId = `protocol-group-${run}`;
    const transactional = createReliableProducer(kafka, { transactionalId: `protocol-tx-${run}`, maxInFlightRequests: 1 });
    await transactional.connect();
    const first = kafka.consumer({ groupId });
    await first.connect();
    await first.subscribe({ topic: input, fromBeginning: true });
    let processed = 0;
    await first.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const transaction = await transactional.transaction();
        await transaction.send({ topic: output, messages: [{ key: message.key, value: `seen ${message.value?.toString()}` }] });
        await transaction.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition, offset: (BigInt(message.offset) + 1n).toString() }] }] });
        await transaction.commit();
        processed += 1;
      },
    });
    await until(() => processed === 4, 'the four records');

    // An aborted transaction must stay invisible to read-committed readers.
    const aborted = await transactional.transaction();
    await aborted.send({ topic: output, messages: [{ value: 'aborted' }] });
    await aborted.abort();

    const second = kafka.consumer({ groupId });
    let secondAssignment: number[] | undefined;
    second.on(second.events.GROUP_JOIN, ({ payload }) => {
      secondAssignment = payload.memberAssignment[input];
    });
    await second.connect();
    await second.subscribe({ topic: input, fromBeginning: true });
    await second.run({ eachMessage: async () => undefined });
    await until(() => secondAssignment !== undefined && secondAssignment.length === 1, 'the rebalance giving the new member one partition');

    const admin = kafka.admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId, topics: [input] });
    await admin.disconnect();
    expect(committed?.partitions.map((entry) => entry.offset).sort()).toEqual(['2', '2']);

    const values: string[] = [];
    await readTopicToEnd(kafka, output, (record) => values.push(record.value?.toString() ?? ''));
    expect(values.sort()).toEqual(['seen 0', 'seen 1', 'seen 2', 'seen 3']);

    await Promise.all([first.disconnect(), second.disconnect(), transactional.disconnect()]);
  });

  // After EndTxn answers, the coordinator still completes the transaction (writes its markers) and answers
  // CONCURRENT_TRANSACTIONS to the next one's AddOffsetsToTxn meanwhile: the patched client retries it, as the Java
  // client does, instead of failing the commit of a consumer with nothing to produce.
  it('commits offsets-only transactions back to back', async () => {
    const groupId = `protocol-offsets-only-${run}`;
    const producer = createReliableProducer(kafka, { transactionalId: `protocol-offsets-only-${run}`, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let offset = 1; offset <= 30; offset += 1) {
        const transaction = await producer.transaction();
        await transaction.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: String(offset) }] }] });
        await transaction.commit();
      }
    } finally {
      await producer.disconnect();
    }
    const admin = kafka.admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId, topics: [input] });
    await admin.disconnect();
    expect(committed?.partitions.find((entry) => entry.partition === 0)?.offset).toBe('30');
  });

  // The broker checks each batch's CRC and layout: uncompressed batches are the patched one-pass encoder's
  // (record-encoding.spec.ts), gzip ones upstream's path.
  it.each(['none', 'gzip'] as const)('takes transactional batches encoded for codec %s and returns every key, value, header and timestamp', async (codec) => {
    const topic = `protocol-codec-${codec}-${run}`;
    await ensureTopics(kafka, [{ topic, partitions: 3 }]);
    const sent = Array.from({ length: 2_000 }, (_, index) => ({
      key: index % 10 === 0 ? null : `key-${index % 97}`,
      value: index % 50 === 0 ? Buffer.alloc(20_000, index % 256) : `value ${index} ${'é'.repeat(index % 7)}`,
      headers: index % 3 === 0 ? { a: `${index}`, b: ['x', 'y'] } : {},
      timestamp: String(1_700_000_000_000 + index * 1_000),
      partition: index % 3,
    }));
    const producer = createReliableProducer(kafka, { transactionalId: `protocol-codec-${codec}-${run}`, maxInFlightRequests: 1 });
    await producer.connect();
    const transaction = await producer.transaction();
    await transaction.send({ ...sendOptions(codec), topic, messages: sent.slice(0, 1_500) });
    await transaction.send({ ...sendOptions(codec), topic, messages: sent.slice(1_500) });
    await transaction.commit();
    await producer.disconnect();

    // The commit markers are written after EndTxn answers: wait until every partition's committed end (its last
    // stable offset) is past its records and their marker, then read once. On a loaded machine the markers can take
    // a while; if they never come, the failure names each partition's committed end against its record count.
    const admin = kafka.admin();
    await admin.connect();
    try {
      const recordsIn = (partition: number) => sent.filter((message) => message.partition === partition).length;
      let committedEnds: { partition: number; high: string }[] = [];
      await until(
        async () => {
          committedEnds = await admin.fetchTopicOffsets(topic);
          return committedEnds.every(({ partition, high }) => Number(high) > recordsIn(partition));
        },
        () => `the commit markers: committed end per partition ${committedEnds.map(({ partition, high }) => `${partition}: ${high} (records ${recordsIn(partition)})`).join(', ')}`,
        90_000,
      );
      type Received = { key: string | null; value: string; headers: Record<string, string | string[]>; timestamp: string; partition: number };
      const received: Received[] = [];
      await readTopicToEnd(kafka, topic, (record, partition) =>
        received.push({
          key: record.key?.toString() ?? null,
          value: record.value?.toString('hex') ?? '',
          headers: Object.fromEntries(Object.entries(record.headers ?? {}).map(([name, value]) => [name, Array.isArray(value) ? value.map(String) : String(value)])),
          timestamp: record.timestamp,
          partition,
        }),
      );
      const expected = sent.map((message) => ({ key: message.key, value: Buffer.from(message.value).toString('hex'), headers: message.headers, timestamp: message.timestamp, partition: message.partition }));
      const order = (entry: { partition: number; timestamp: string }) => `${entry.partition}:${entry.timestamp}`;
      expect(received.sort((a, b) => order(a).localeCompare(order(b)))).toEqual(expected.sort((a, b) => order(a).localeCompare(order(b))));
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [input, output] }).catch(() => undefined);
    await admin.disconnect();
  });
});
