/**
 * The streaming runtime against the real broker: bounded batches, the error policy
 * (retry without dead letters, isolate the one failing record, dead-letter it), atomic
 * transactional delivery, and progress on /health.
 */
import { randomUUID } from 'node:crypto';
import { requiredEnv } from '@pipeline/config';
import { HEADERS } from '@pipeline/contracts';
import { createKafkaClient, createReliableProducer, ensureTopics, parseBrokerList, readTopicToEnd, SEND_DEFAULTS, type KafkaMessage } from '@pipeline/kafka';
import { TransientError } from './failures';
import { KafkaStreamServer, type HandlerResult, type StreamHandler, type StreamLogger, type StreamRecord, type TopicPartition } from './stream-server';

const kafka = createKafkaClient({ brokers: parseBrokerList(requiredEnv('KAFKA_BROKERS')), clientId: 'stream-server-it', log: () => undefined });
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function readAll(topic: string): Promise<KafkaMessage[]> {
  const records: KafkaMessage[] = [];
  await readTopicToEnd(kafka, topic, (record) => records.push(record));
  return records;
}

async function start(server: KafkaStreamServer): Promise<void> {
  await new Promise<void>((resolve, reject) => void server.listen((error?: unknown) => (error ? reject(error) : resolve())));
}

describe('KafkaStreamServer (real broker)', () => {
  const run = randomUUID().slice(0, 8);
  const input = `stream-it-${run}.input`;
  const output = `stream-it-${run}.output`;
  const deadLetters = `stream-it-${run}.dead-letter`;
  const crashOutput = `stream-it-${run}.crash-output`;
  const servers: KafkaStreamServer[] = [];

  beforeAll(async () => {
    await ensureTopics(kafka, [
      { topic: input, partitions: 1 },
      { topic: output, partitions: 1 },
      { topic: deadLetters, partitions: 1 },
    ]);
    const producer = createReliableProducer(kafka);
    await producer.connect();
    const messages = Array.from({ length: 100 }, (_, index) => ({ key: `k${index}`, value: String(index) }));
    await producer.send({ ...SEND_DEFAULTS, topic: input, messages });
    await producer.disconnect();
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [input, output, deadLetters, crashOutput] }).catch(() => undefined);
    await admin.disconnect();
  });

  function server(groupSuffix: string, handler: StreamHandler, delivery: 'transactional' | 'after-handler', extra: { maxRecords?: number; stallAfterMs?: number; logger?: StreamLogger } = {}): KafkaStreamServer {
    const created = new KafkaStreamServer({
      name: `stream-it/${groupSuffix}`,
      kafka,
      groupId: `stream-it-${run}.${groupSuffix}`,
      topics: [input],
      handler,
      delivery,
      deadLetterTopic: deadLetters,
      limits: { maxRecords: extra.maxRecords ?? 5000, maxBytes: 1 << 20 },
      stallAfterMs: extra.stallAfterMs,
      retryBackoff: { initialMs: 50, maxMs: 200 },
      logger: extra.logger ?? quiet,
    });
    servers.push(created);
    return created;
  }

  it('retries an outage without dead-lettering, isolates the one record that keeps failing, and commits outputs with the offsets', async () => {
    const seen: number[] = [];
    let outages = 3;
    const batchSizes: number[] = [];
    const handler: StreamHandler = {
      async handle(_partition: TopicPartition, records: readonly StreamRecord[]): Promise<HandlerResult> {
        batchSizes.push(records.length);
        if (outages > 0) {
          outages -= 1;
          throw new TransientError('database', 'database unavailable');
        }
        // A failure nobody classified, always on record 42: isolated by splitting, then dead-lettered.
        if (records.some((record) => record.value?.toString() === '42')) throw new TypeError('cannot read properties of undefined');
        for (const record of records) seen.push(Number(record.value?.toString()));
        return { outputs: records.map((record) => ({ topic: output, message: { key: record.key, value: record.value } })) };
      },
    };
    const transactional = server('policy', handler, 'transactional', { maxRecords: 16 });
    await start(transactional);
    await waitFor('every record processed or dead-lettered', () => transactional.board.all().some((progress) => progress.committedOffset === 100));

    expect(Math.max(...batchSizes)).toBeLessThanOrEqual(16);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, index) => index).filter((index) => index !== 42));
    const outputs = (await readAll(output)).map((record) => Number(record.value?.toString()));
    expect(outputs.sort((a, b) => a - b)).toEqual(seen);
    const letters = await readAll(deadLetters);
    expect(letters).toHaveLength(1);
    expect(letters[0]?.value?.toString()).toBe('42');
    expect(letters[0]?.headers?.[HEADERS.reasonClass]?.toString()).toBe('unclassified');
    expect(letters[0]?.headers?.[HEADERS.sourceOffset]?.toString()).toBe('42');
    expect(transactional.health().ok).toBe(true);
  });

  it('does not report a transactional input that went quiet as stalled (its last offset is a commit marker)', async () => {
    const quietInput = `stream-it-${run}.quiet-input`;
    await ensureTopics(kafka, [{ topic: quietInput, partitions: 1 }]);
    const writer = kafka.producer({ transactionalId: `stream-it-${run}.quiet-writer`, idempotent: true, maxInFlightRequests: 1 });
    await writer.connect();
    const transaction = await writer.transaction();
    await transaction.send({ topic: quietInput, messages: Array.from({ length: 10 }, (_, index) => ({ key: `k${index}`, value: String(index) })) });
    await transaction.commit();
    await writer.disconnect();
    const caughtUp = new KafkaStreamServer({
      name: 'stream-it/quiet',
      kafka,
      groupId: `stream-it-${run}.quiet`,
      topics: [quietInput],
      handler: { handle: async () => ({}) },
      delivery: 'after-handler',
      deadLetterTopic: deadLetters,
      stallAfterMs: 1000,
      logger: quiet,
    });
    servers.push(caughtUp);
    await start(caughtUp);
    await waitFor('the ten records committed', () => caughtUp.board.all().some((progress) => progress.committedOffset === 10));
    // Offset 10 is the commit marker, which no read_committed consumer returns: nothing is left to do.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(caughtUp.health()).toMatchObject({ ok: true, stalled: [] });
    expect(caughtUp.board.all().map((progress) => caughtUp.board.lag(progress))).toEqual([0]);
  });

  it('starts a new consumer after a crash kafkajs does not restart from, and still commits every record exactly once', async () => {
    await ensureTopics(kafka, [{ topic: crashOutput, partitions: 1 }]);
    let failures = 1;
    let revokeFailures = 1;
    const healthDuringCrash: string[] = [];
    const handler: StreamHandler = {
      async handle(_partition, records) {
        if (failures > 0) {
          failures -= 1;
          throw new TransientError('database', 'database unavailable');
        }
        return { outputs: records.map((record) => ({ topic: crashOutput, message: { key: record.key, value: record.value } })) };
      },
      // Thrown out of the batch (dropping the failed attempt's state): kafkajs counts a TypeError as not
      // retriable, crashes the consumer and leaves it down.
      revoked() {
        if (revokeFailures > 0) {
          revokeFailures -= 1;
          setTimeout(() => healthDuringCrash.push(server.health().detail), 200);
          throw new TypeError("Cannot read properties of null (reading 'topicMetadata')");
        }
      },
    };
    const server = new KafkaStreamServer({
      name: 'stream-it/crash',
      kafka,
      groupId: `stream-it-${run}.crash`,
      topics: [input],
      handler,
      delivery: 'transactional',
      deadLetterTopic: deadLetters,
      ensureTopics: [{ topic: crashOutput, partitions: 1 }, { topic: deadLetters, partitions: 1 }],
      retryBackoff: { initialMs: 50, maxMs: 200 },
      logger: quiet,
    });
    servers.push(server);
    await start(server);
    await waitFor('every record committed by the new consumer', () => server.board.all().some((progress) => progress.committedOffset === 100));

    expect(healthDuringCrash).toHaveLength(1);
    expect(healthDuringCrash[0]).toContain("consumer crashed: Cannot read properties of null (reading 'topicMetadata')");
    const outputs = (await readAll(crashOutput)).map((record) => Number(record.value?.toString()));
    expect(outputs).toEqual(Array.from({ length: 100 }, (_, index) => index));
    expect(server.health()).toMatchObject({ ok: true, state: 'running' });
  });

  it('reports a partition that stops moving on /health, naming it and why', async () => {
    const warnings: string[] = [];
    const logger = { ...quiet, warn: (message: string) => warnings.push(message) };
    const stuck = server('stuck', { handle: async () => Promise.reject(new TransientError('database', 'database unavailable')) }, 'after-handler', { stallAfterMs: 1000, logger });
    await start(stuck);
    await waitFor('the stall to show', () => !stuck.health().ok, 30_000);
    expect(stuck.health().detail).toMatch(new RegExp(`${input}\\[0\\] stalled for \\d+ s with lag 100: database unavailable`));
    // And in the log, once, beside the retries' own lines.
    await waitFor('the stall in the log', () => warnings.some((line) => line.includes('] stalled: ')), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const stallLines = warnings.filter((line) => line.includes('] stalled: '));
    expect(stallLines).toHaveLength(1);
    expect(stallLines[0]).toMatch(new RegExp(`${input}\\[0\\] stalled: lag 100 and no progress for \\d+ s; last error: database unavailable`));
  });
});
