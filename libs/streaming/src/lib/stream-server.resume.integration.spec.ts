/**
 * Exactly-once across a commit whose outcome the replica never learnt, and across a fetch position
 * behind the committed state, against the real broker (issue #8: the chaos suite found one alert
 * committed twice after a broker restart and a takeover). The handler is shaped like the
 * aggregator's: stateless per-record outputs ("alerts"), a count restored from a compacted
 * changelog, and its input position written in every transaction (`checkpoint`).
 */
import { randomUUID } from 'node:crypto';
import { requiredEnv } from '@pipeline/config';
import { createKafkaClient, createReliableProducer, ensureTopics, parseBrokerList, readPartitionsToEnd, readTopicToEnd, SEND_DEFAULTS, type Message, type Transaction } from '@pipeline/kafka';
import { TransientError } from './failures';
import { KafkaStreamServer, type HandlerResult, type StreamHandler, type StreamLogger, type StreamRecord, type TopicPartition } from './stream-server';

const kafka = createKafkaClient({ brokers: parseBrokerList(requiredEnv('KAFKA_BROKERS')), clientId: 'stream-server-resume-it', log: () => undefined });
const quiet: StreamLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function start(server: KafkaStreamServer): Promise<void> {
  await new Promise<void>((resolve, reject) => void server.listen((error?: unknown) => (error ? reject(error) : resolve())));
}

async function produce(topic: string, from: number, to: number): Promise<void> {
  const producer = createReliableProducer(kafka);
  await producer.connect();
  const messages = Array.from({ length: to - from }, (_, index) => ({ key: `k${from + index}`, value: String(from + index) }));
  await producer.send({ ...SEND_DEFAULTS, topic, messages });
  await producer.disconnect();
}

async function values(topic: string): Promise<number[]> {
  const read: number[] = [];
  await readTopicToEnd(kafka, topic, (record) => read.push(Number(record.value?.toString())));
  return read.sort((a, b) => a - b);
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, index) => from + index);

/** Commits one transaction as another producer of the runtime's transactional id for partition 0 (which fences the runtime's). */
async function asAnotherProducerOf(groupId: string, input: string, work: (transaction: Transaction) => Promise<unknown>): Promise<void> {
  const other = kafka.producer({ transactionalId: `${groupId}.${input}.0`, maxInFlightRequests: 1, idempotent: true });
  await other.connect();
  try {
    const transaction = await other.transaction();
    await work(transaction);
    await transaction.commit();
  } finally {
    await other.disconnect();
  }
}

/** A count of the records seen, kept like the aggregator's window state: restored from its changelog after fencing. */
class CountingHandler implements StreamHandler {
  /** Per partition: records counted, and the next input offset that count stands for. */
  private readonly state = new Map<number, { count: number; position?: string }>();
  /** Fails the commit of the batch holding this offset once, after the broker committed it. */
  loseOutcomeAt: string | undefined;
  /** Runs once while the batch holding this offset is handled, before its commit. */
  whileHandling: { readonly offset: string; readonly run: () => Promise<void> } | undefined;

  constructor(
    private readonly output: string,
    private readonly changelog: string,
  ) {}

  revoked(partitions: readonly TopicPartition[]): void {
    for (const { partition } of partitions) this.state.delete(partition);
  }

  /** Runs once right after the next resume read its position (an earlier owner committing just then). */
  afterResumeRead: (() => Promise<void>) | undefined;

  async resumeOffset(partition: TopicPartition): Promise<string | undefined> {
    const { position } = await this.restored(partition.partition);
    const after = this.afterResumeRead;
    this.afterResumeRead = undefined;
    await after?.();
    return position;
  }

  checkpoint(partition: TopicPartition, nextOffset: string): Array<{ topic: string; message: Message }> {
    return [{ topic: this.changelog, message: { key: 'position', value: nextOffset, partition: partition.partition } }];
  }

  async handle(partition: TopicPartition, records: readonly StreamRecord[]): Promise<HandlerResult> {
    const state = await this.restored(partition.partition);
    const hook = this.whileHandling;
    if (hook && records.some((record) => record.offset === hook.offset)) {
      this.whileHandling = undefined;
      await hook.run();
    }
    state.count += records.length;
    const outputs: Array<{ topic: string; message: Message }> = records.map((record) => ({ topic: this.output, message: { key: record.key, value: record.value } }));
    outputs.push({ topic: this.changelog, message: { key: 'count', value: Buffer.from(String(state.count)), partition: partition.partition } });
    const lose = this.loseOutcomeAt !== undefined && records.some((record) => record.offset === this.loseOutcomeAt);
    return {
      outputs,
      onCommitted: () => {
        if (!lose) return;
        this.loseOutcomeAt = undefined;
        // The broker committed; the client sees a failure (the broker went away before answering EndTxn).
        throw new TransientError('kafka', 'connection lost while committing');
      },
    };
  }

  async count(partition: number): Promise<number> {
    return (await this.restored(partition)).count;
  }

  private async restored(partition: number): Promise<{ count: number; position?: string }> {
    const known = this.state.get(partition);
    if (known) return known;
    const image: { count: number; position?: string } = { count: 0 };
    await readPartitionsToEnd(kafka, this.changelog, [partition], (record) => {
      if (record.key?.toString() === 'count') image.count = Number(record.value?.toString());
      if (record.key?.toString() === 'position') image.position = record.value?.toString();
    });
    this.state.set(partition, image);
    return image;
  }
}

describe('KafkaStreamServer exactly-once resumption (real broker)', () => {
  const run = randomUUID().slice(0, 8);
  const topics: string[] = [];
  const servers: KafkaStreamServer[] = [];

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  async function setUp(name: string): Promise<{ input: string; output: string; changelog: string; groupId: string }> {
    const [input, output, changelog] = ['input', 'output', 'changelog'].map((kind) => `stream-resume-${run}.${name}.${kind}`) as [string, string, string];
    topics.push(input, output, changelog);
    await ensureTopics(kafka, [
      { topic: input, partitions: 1 },
      { topic: output, partitions: 1 },
      { topic: changelog, partitions: 1, config: { 'cleanup.policy': 'compact' } },
    ]);
    return { input, output, changelog, groupId: `stream-resume-${run}.${name}` };
  }

  function server(groupId: string, input: string, handler: StreamHandler, maxRecords: number, logger: StreamLogger = quiet): KafkaStreamServer {
    const created = new KafkaStreamServer({
      name: `stream-resume-it/${groupId}`,
      kafka,
      groupId,
      topics: [input],
      handler,
      delivery: 'transactional',
      deadLetterTopic: `stream-resume-${run}.dead-letter`,
      limits: { maxRecords, maxBytes: 1 << 20 },
      retryBackoff: { initialMs: 50, maxMs: 200 },
      logger,
    });
    servers.push(created);
    return created;
  }

  it('never redoes a transaction that committed although the replica saw it fail', async () => {
    const { input, output, changelog, groupId } = await setUp('lost-outcome');
    await produce(input, 0, 20);
    const handler = new CountingHandler(output, changelog);
    handler.loseOutcomeAt = '10';
    const streaming = server(groupId, input, handler, 5);
    await start(streaming);
    await waitFor('every record committed', () => streaming.board.all().some((progress) => progress.committedOffset === 20));

    // Every input's output once, and the count restored from the changelog counts each record once.
    expect(handler.loseOutcomeAt).toBeUndefined();
    expect(await values(output)).toEqual(range(0, 20));
    handler.revoked([{ topic: input, partition: 0 }]);
    expect(await handler.count(0)).toBe(20);
  });

  /**
   * Runs records 0-19 in batches of 5 while, during the batch from offset 10, another producer of the partition's
   * transactional id commits what `rewrite` sends (which fences the replica too): the log changed behind it.
   */
  async function runWithLogRewrittenAt10(name: string, rewrite: (transaction: Transaction, topics: { input: string; changelog: string; groupId: string }) => Promise<unknown>) {
    const { input, output, changelog, groupId } = await setUp(name);
    await produce(input, 0, 20);
    const handler = new CountingHandler(output, changelog);
    handler.whileHandling = { offset: '10', run: () => asAnotherProducerOf(groupId, input, (transaction) => rewrite(transaction, { input, changelog, groupId })) };
    const warnings: string[] = [];
    const streaming = server(groupId, input, handler, 5, { ...quiet, warn: (message) => void warnings.push(message) });
    await start(streaming);
    await waitFor('every record committed', () => streaming.board.all().some((progress) => progress.committedOffset === 20));
    handler.revoked([{ topic: input, partition: 0 }]);
    return { count: await handler.count(0), outputs: await values(output), warnings };
  }

  it('reads again from where the log stands when transactions it saw commit are missing from it', async () => {
    // What a broker's kill -9 did in a chaos run: the transactions that committed records 5-9 came out aborted
    // in the log, state and offsets alike, while this replica went on from 10. Emulated by writing state and
    // offsets back to 5.
    const { count, outputs, warnings } = await runWithLogRewrittenAt10('missing-commits', async (transaction, { input, changelog, groupId }) => {
      await transaction.send({ topic: changelog, messages: [{ key: 'count', value: '5', partition: 0 }, { key: 'position', value: '5', partition: 0 }] });
      await transaction.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: '5' }] }] });
    });

    // Records 5-9 are counted again (going on from 10 would have left the count at 15), and every output is there.
    expect(count).toBe(20);
    expect(new Set(outputs)).toEqual(new Set(range(0, 20)));
    expect(warnings.some((warning) => /committed up to 10: .* reading again from 5/.test(warning))).toBe(true);
  });

  it("resumes where its state stands when the group's offset is past it (a transaction that ended committed on the offsets only)", async () => {
    // A broker restart can end one transaction committed on the group's offsets and aborted on the changelog
    // (its markers skipped on some partitions). Emulated: the group's offset goes to 15, the changelog stays at 10.
    const { count, outputs, warnings } = await runWithLogRewrittenAt10('offsets-ahead', (transaction, { input, groupId }) =>
      transaction.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: '15' }] }] }),
    );

    // Records 10-14 are counted (resuming at the group's 15 left the count at 15).
    expect(count).toBe(20);
    expect(outputs).toEqual(range(0, 20));
    expect(warnings.some((warning) => /the group's offset 15 is past the position 10/.test(warning))).toBe(true);
  });

  it('fences the earlier owner before it reads where to resume', async () => {
    const { input, output, changelog, groupId } = await setUp('fence-first');
    await produce(input, 0, 10);
    // The earlier owner, mid-transaction: records 0-4 handled, their outputs, position and offset sent, not yet committed.
    const earlier = kafka.producer({ transactionalId: `${groupId}.${input}.0`, maxInFlightRequests: 1, idempotent: true });
    await earlier.connect();
    const transaction = await earlier.transaction();
    await transaction.send({ topic: output, messages: range(0, 5).map((value) => ({ key: `k${value}`, value: String(value) })) });
    await transaction.send({ topic: changelog, messages: [{ key: 'count', value: '5', partition: 0 }, { key: 'position', value: '5', partition: 0 }] });
    await transaction.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: '5' }] }] });

    const handler = new CountingHandler(output, changelog);
    let earlierCommit = 'not tried';
    // It commits right after the new owner read its position: that must fail, the new owner having fenced it first.
    handler.afterResumeRead = async () => {
      earlierCommit = await transaction.commit().then(
        () => 'committed',
        () => 'fenced',
      );
    };
    const streaming = server(groupId, input, handler, 100);
    await start(streaming);
    await waitFor('every record committed', () => streaming.board.all().some((progress) => progress.committedOffset === 10));
    await earlier.disconnect().catch(() => undefined);

    expect(earlierCommit).toBe('fenced');
    expect(await values(output)).toEqual(range(0, 10));
  });

  it('goes on with a partition the group still gives it after another producer of its id fenced it', async () => {
    const { input, output, changelog, groupId } = await setUp('fenced');
    await produce(input, 0, 10);
    const handler = new CountingHandler(output, changelog);
    const streaming = server(groupId, input, handler, 100);
    await start(streaming);
    await waitFor('the first ten committed', () => streaming.board.all().some((progress) => progress.committedOffset === 10));

    // An earlier owner waking up after the group gave the partition back: it initialises the id, fencing this replica's producer.
    const zombie = kafka.producer({ transactionalId: `${groupId}.${input}.0`, maxInFlightRequests: 1, idempotent: true });
    await zombie.connect();
    await zombie.disconnect();
    await produce(input, 10, 15);
    await waitFor('the next five committed', () => streaming.board.all().some((progress) => progress.committedOffset === 15));

    expect(await values(output)).toEqual(range(0, 15));
    handler.revoked([{ topic: input, partition: 0 }]);
    expect(await handler.count(0)).toBe(15);
  });

  it('skips what is committed when the consumer fetches from behind it (a group offset read before the last commit showed)', async () => {
    const { input, output, changelog, groupId } = await setUp('behind');
    await produce(input, 0, 10);
    const first = server(groupId, input, new CountingHandler(output, changelog), 100);
    await start(first);
    await waitFor('the first ten committed', () => first.board.all().some((progress) => progress.committedOffset === 10));
    await first.close();

    // The group's offset as a read without require_stable can return it right after a commit: before it.
    const admin = kafka.admin();
    await admin.connect();
    await admin.setOffsets({ groupId, topic: input, partitions: [{ partition: 0, offset: '0' }] });
    await admin.disconnect();

    const handler = new CountingHandler(output, changelog);
    const second = server(groupId, input, handler, 100);
    await start(second);
    await produce(input, 10, 15);
    await waitFor('the next five committed', () => second.board.all().some((progress) => progress.committedOffset === 15));

    expect(await values(output)).toEqual(range(0, 15));
    handler.revoked([{ topic: input, partition: 0 }]);
    expect(await handler.resumeOffset({ topic: input, partition: 0 })).toBe('15');
    expect(await handler.count(0)).toBe(15);
  });
});
