import { randomUUID } from 'node:crypto';
import { requiredEnv } from '@pipeline/config';
import { createKafkaClient, settleLeftovers, ensureTopics, parseBrokerList, readTopicToEnd, type Producer } from '../index';

/**
 * On the real broker: what a partition owned anew does before it reads its committed state. Every
 * partition of the scope, and the group's offsets, get a commit marker of the producer id (which is
 * what ends a transaction an earlier epoch left hanging there), no record is written, and nothing
 * committed changes.
 */
describe('settleLeftovers (real broker)', () => {
  const kafka = createKafkaClient({ brokers: parseBrokerList(requiredEnv('KAFKA_BROKERS')), clientId: 'leftovers-it' });
  const run = randomUUID();
  const output = `leftovers-it-${run}.out`;
  const compacted = `leftovers-it-${run}.changelog`;
  const input = `leftovers-it-${run}.in`;
  const groupId = `leftovers-it-${run}.group`;
  let producer: Producer | undefined;

  afterAll(async () => {
    await producer?.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [output, compacted, input] }).catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  });

  const ends = async (topic: string) => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition).map((entry) => Number(entry.high));
    } finally {
      await admin.disconnect();
    }
  };

  const until = async (done: () => Promise<boolean>) => {
    for (const deadline = Date.now() + 10_000; !(await done()); ) {
      if (Date.now() > deadline) throw new Error('not reached within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  it('writes a commit marker, and no record, to every partition, and leaves what was committed as it was', async () => {
    await ensureTopics(kafka, [
      { topic: output, partitions: 3 },
      { topic: compacted, partitions: 2, config: { 'cleanup.policy': 'compact' } },
      { topic: input, partitions: 1 },
    ]);
    producer = kafka.producer({ transactionalId: `leftovers-it-${run}`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const committed = await producer.transaction();
    await committed.send({ topic: output, messages: [{ key: 'k', value: 'kept', partition: 1 }] });
    await committed.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: '5' }] }] });
    await committed.commit();
    // The coordinator writes a transaction's markers after the commit returns: the record and its commit marker.
    await until(async () => (await ends(output))[1] === 2);
    const before = { output: await ends(output), compacted: await ends(compacted) };

    await settleLeftovers(kafka, producer, { topics: [output, compacted], offsets: { groupId } });

    // One commit marker on each partition (the coordinator writes markers after the commit returns), and nothing else.
    await until(async () => JSON.stringify(await ends(output)) === JSON.stringify(before.output.map((end) => end + 1)));
    await until(async () => JSON.stringify(await ends(compacted)) === JSON.stringify(before.compacted.map((end) => end + 1)));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await ends(output)).toEqual(before.output.map((end) => end + 1));
    const seen: string[] = [];
    await readTopicToEnd(kafka, output, (message) => seen.push(message.value?.toString() ?? '<null>'));
    await readTopicToEnd(kafka, compacted, (message) => seen.push(message.value?.toString() ?? '<null>'));
    expect(seen).toEqual(['kept']);
    const admin = kafka.admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [input] });
    await admin.disconnect();
    expect(offsets?.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '5' })]);

    // The producer goes on as before.
    const next = await producer.transaction();
    await next.send({ topic: output, messages: [{ key: 'k', value: 'after', partition: 1 }] });
    await next.commit();
    const after: string[] = [];
    await readTopicToEnd(kafka, output, (message) => after.push(message.value?.toString() ?? '<null>'));
    expect(after).toEqual(['kept', 'after']);
  }, 60_000);

  it('leaves out a topic the broker does not have (nothing can be open there)', async () => {
    if (!producer) throw new Error('the first test makes the producer');
    const before = await ends(output);
    await expect(settleLeftovers(kafka, producer, { topics: [`leftovers-it-${run}.never-created`, output] })).resolves.toBeUndefined();
    // The topics it has are still settled: a marker on each of their partitions.
    await until(async () => JSON.stringify(await ends(output)) === JSON.stringify(before.map((end) => end + 1)));
  }, 60_000);
});
