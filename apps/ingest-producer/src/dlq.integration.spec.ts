/**
 * `dlq list|show|replay` against the real broker and registry: dead letters made the real way
 * (an ingest replay of the sample CSV with its broken rows; the stream runtime's dead-letter
 * builder for refused topic records), then listed, shown and sent back exactly once.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deadLetterRecord, HEADERS } from '@pipeline/contracts';
import { createKafkaClient, createReliableProducer, createSchemaRegistry, parseBrokerList, readPartitionsToEnd, SEND_DEFAULTS, type KafkaMessage } from '@pipeline/kafka';
import { runCli } from './cli';

/** Collects what the command writes. */
function capture(): NodeJS.WriteStream & { text: () => string } {
  const chunks: string[] = [];
  return Object.assign(Object.create(process.stdout) as NodeJS.WriteStream, { isTTY: false, write: (chunk: string) => chunks.push(chunk) > 0, text: () => chunks.join('') });
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const [out, err] = [capture(), capture()];
  const code = await runCli(argv, { out, err });
  return { code, out: out.text(), err: err.text() };
}

interface Read {
  partition: number;
  message: KafkaMessage;
}

describe('ingest-producer dlq (real broker and registry)', () => {
  const runId = randomUUID().slice(0, 8);
  const clickTopic = `clickstream.events-dlq-${runId}`;
  const deadLetters = `pipeline.dead-letter-dlq-${runId}`;
  const ledger = `${deadLetters}-replays`;
  const sample = join(__dirname, '../../../libs/ingest/sample/clickstream-sample.csv');
  const kafka = createKafkaClient({ brokers: parseBrokerList(process.env['KAFKA_BROKERS'] ?? ''), clientId: `dlq-it-${runId}` });
  const registry = createSchemaRegistry(process.env['SCHEMA_REGISTRY_URL'] ?? '');
  const dl = (...argv: string[]) => cli('dlq', ...argv, '--dead-letter-topic', deadLetters);

  /** Every record of a topic, read_committed, up to its end now. */
  async function readAll(topic: string): Promise<Read[]> {
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
    const records: Read[] = [];
    await readPartitionsToEnd(
      kafka,
      topic,
      offsets.map((entry) => entry.partition),
      (message, partition) => records.push({ partition, message }),
    );
    return records;
  }
  const replayedOnClicks = async () => (await readAll(clickTopic)).filter((record) => record.message.headers?.[HEADERS.replayedFrom] !== undefined);
  const positionsOf = async (reasonClass: string) =>
    (await readAll(deadLetters)).filter((record) => record.message.headers?.[HEADERS.reasonClass]?.toString() === reasonClass).map((record) => `${record.partition}:${record.message.offset}`);

  /** Three real click events the "aggregator" refused (contract), and one record it could not decode. */
  let refused: Read[] = [];

  beforeAll(async () => {
    const replay = await cli('replay', '--file', sample, '--topic', clickTopic, '--dead-letter-topic', deadLetters, '--heartbeat-ms', '200');
    expect({ code: replay.code, err: replay.err }).toMatchObject({ code: 0 });
    refused = (await readAll(clickTopic)).filter((record) => record.message.value !== null).slice(0, 3);
    const letters = refused.map(({ partition, message }) =>
      deadLetterRecord({
        reason: 'ClickEvent: price must be at most 1000000',
        reasonClass: 'contract',
        source: 'stream-aggregator/clickstream',
        contract: 'ClickEvent',
        origin: { topic: clickTopic, partition, offset: message.offset },
        key: message.key,
        value: message.value,
        headers: { ...message.headers, trace: 'it' },
      }),
    );
    const garbage = deadLetterRecord({ reason: 'not in the Confluent wire format', reasonClass: 'decode', source: 'stream-aggregator/clickstream', contract: 'ClickEvent', origin: { topic: clickTopic, partition: 0, offset: '0' }, key: 'books', value: Buffer.from([0xff, 0xfe, 0x01]) });
    const producer = createReliableProducer(kafka);
    await producer.connect();
    await producer.send({ ...SEND_DEFAULTS, topic: deadLetters, messages: [...letters, garbage] }).finally(() => producer.disconnect());
  });

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [clickTopic, deadLetters, ledger] }).finally(() => admin.disconnect());
  });

  it('lists the dead letters by hour, reason class, source topic and source, and filters them', async () => {
    const all = await dl('list');
    expect({ code: all.code, err: all.err }).toEqual({ code: 0, err: '' });
    expect(all.out).toContain(`${deadLetters}: 14 records read, 14 matched`);
    const counts = (out: string) =>
      out
        .split('\n')
        .filter((line) => /^\d{4}-\d\d-\d\d \d\d:00 /.test(line))
        .map((line) => line.split(/\s{2,}/))
        .reduce<Record<string, number>>((sum, [, reasonClass, sourceTopic, source, count]) => ({ ...sum, [`${reasonClass} ${sourceTopic} ${source}`]: (sum[`${reasonClass} ${sourceTopic} ${source}`] ?? 0) + Number(count) }), {});
    expect(counts(all.out)).toEqual({ [`invalid-input - ${sample}`]: 10, [`contract ${clickTopic} stream-aggregator/clickstream`]: 3, [`decode ${clickTopic} stream-aggregator/clickstream`]: 1 });
    expect(all.out).toContain(`invalid-input from ${sample}: `);

    const limited = await dl('list', '--reason-class', 'invalid-input', '--limit', '4');
    expect(limited.out).toContain(`${deadLetters}: 14 records read, 10 matched (the oldest 4 listed: --limit)`);
    expect(counts(limited.out)).toEqual({ [`invalid-input - ${sample}`]: 4 });
    expect(counts((await dl('list', '--source-topic', clickTopic, '--since', '1h')).out)).toEqual({ [`contract ${clickTopic} stream-aggregator/clickstream`]: 3, [`decode ${clickTopic} stream-aggregator/clickstream`]: 1 });
    expect((await dl('list', '--until', '2000-01-01T00:00:00Z')).out).toBe(`${deadLetters}: 14 records read, 0 matched, 0 groups\n`);
  });

  it('shows a record decoded with all its headers: Avro through the registry, JSON, hex', async () => {
    const [contract] = await positionsOf('contract');
    const original = (await registry.decode(refused[0]?.message.value as Buffer)) as { eventId: string };
    const shown = await dl('show', contract as string);
    expect({ code: shown.code, err: shown.err }).toEqual({ code: 0, err: '' });
    expect(shown.out).toContain(`dead letter ${deadLetters} ${contract}\n  reason class  contract\n`);
    expect(shown.out).toContain(`  source        stream-aggregator/clickstream (topic ${clickTopic})`);
    expect(shown.out).toContain('  trace: it\n');
    expect(shown.out).toMatch(new RegExp(`value: Avro \\(schema id \\d+\\):\\n\\{\\n  "eventId": "${original.eventId}"`));

    const json = JSON.parse((await dl('show', contract as string, '--json')).out) as Record<string, unknown>;
    expect(json).toMatchObject({ reasonClass: 'contract', sourceTopic: clickTopic, contract: 'ClickEvent', headers: { trace: ['it'], [HEADERS.sourceTopic]: [clickTopic] }, value: { kind: 'avro', value: { eventId: original.eventId } } });

    const [raw] = await positionsOf('invalid-input');
    const rawRecord = (await readAll(deadLetters)).find((record) => `${record.partition}:${record.message.offset}` === raw);
    const rawJson = JSON.parse((await dl('show', raw as string, '--json')).out) as unknown;
    // The raw input as the CSV reader saw it (cells of a row), pretty-printed as JSON.
    expect(rawJson).toMatchObject({ reasonClass: 'invalid-input', sourceTopic: null, key: { kind: 'text', text: sample }, value: { kind: 'json', value: JSON.parse(rawRecord?.message.value?.toString() ?? '') } });

    const [decode] = await positionsOf('decode');
    expect((await dl('show', decode as string)).out).toContain('value: hex (3 bytes): fffe01');

    const missing = await dl('show', '0:999999');
    expect(missing).toEqual({ code: 1, out: '', err: `no dead letter at 0:999999 on ${deadLetters} (not written yet, aborted, or a transaction marker)\n` });
  });

  it('replays records to their source topic once: the ledger in the same transaction makes a second replay send nothing', async () => {
    const dryRun = await dl('replay', '--reason-class', 'contract', '--dry-run');
    expect({ code: dryRun.code, err: dryRun.err }).toEqual({ code: 0, err: '' });
    expect(dryRun.out).toMatch(new RegExp(`^dry run, nothing sent: would replay 3 dead letters from ${deadLetters}:\\n(  \\d+:\\d+ → ${clickTopic}\\n){3}$`));
    expect(await replayedOnClicks()).toHaveLength(0);

    const first = await dl('replay', '--reason-class', 'contract', '--source-topic', clickTopic);
    expect({ code: first.code, err: first.err }).toEqual({ code: 0, err: '' });
    expect(first.out).toMatch(new RegExp(`^replayed 3 dead letters from ${deadLetters}, recorded in ${ledger}:\\n`));

    const second = await dl('replay', '--reason-class', 'contract');
    expect(second).toEqual({ code: 0, out: `nothing to replay: all 3 selected dead letters were replayed before (${ledger})\n`, err: '' });

    // Once each, read_committed, byte for byte on the partition they came from, their own headers kept.
    const replayed = await replayedOnClicks();
    expect(replayed).toHaveLength(3);
    const sent = (record: Read) => [record.partition, record.message.key?.toString('hex'), record.message.value?.toString('hex'), record.message.headers?.['trace']?.toString()];
    expect(replayed.map(sent).sort()).toEqual(refused.map((record) => [...sent(record).slice(0, 3), 'it']).sort());
    expect(replayed.map((record) => record.message.headers?.[HEADERS.reason])).toEqual([undefined, undefined, undefined]);
    expect((await readAll(ledger)).map((record) => JSON.parse(record.message.value?.toString() ?? '')).map((entry: { target: string; fixed: boolean }) => [entry.target, entry.fixed])).toEqual([
      [clickTopic, false],
      [clickTopic, false],
      [clickTopic, false],
    ]);
  });

  it('two replays of the same record at once send it once (the later one fences the earlier)', async () => {
    const [decode] = (await positionsOf('decode')) as [string];
    const runs = await Promise.all([dl('replay', decode), dl('replay', decode)]);
    // Either one finished before the other read the ledger, or the later one fenced it (an error, nothing committed).
    expect(runs.filter((run) => run.code === 0 && run.out.startsWith(`replayed 1 dead letters from ${deadLetters}`))).toHaveLength(1);
    for (const run of runs.filter((each) => each.code !== 0)) expect(run.err).toContain(`another replay of ${deadLetters} started and fenced this one`);
    const copies = (await replayedOnClicks()).filter((record) => record.message.headers?.[HEADERS.replayedFrom]?.toString() === `${deadLetters}/${decode}`);
    expect(copies).toHaveLength(1);
    expect(copies[0]?.message.value?.toString('hex')).toBe('fffe01');
    expect((await dl('replay', decode)).out).toBe(`nothing to replay: all 1 selected dead letters were replayed before (${ledger})\n`);
  });

  it('refuses raw rows without a source topic, and sends nothing', async () => {
    const refusedRaw = await dl('replay', '--reason-class', 'invalid-input');
    expect(refusedRaw.code).toBe(1);
    expect(refusedRaw.out).toBe('');
    expect(refusedRaw.err).toMatch(/^refused, nothing sent: 10 dead letter\(s\) have no known source topic: \d+:\d+ \(invalid-input from .*, contract ClickEvent\).*: send them back corrected with --fixed, or narrow the selection \(--source-topic\)\n$/);
    expect(await replayedOnClicks()).toHaveLength(4);
  });

  it('sends fixed values back validated and encoded by the contract; an invalid fix refuses the whole file', async () => {
    const [first, second] = (await positionsOf('invalid-input')) as [string, string];
    const fixed = (n: number) => ({ eventId: `fixed-${runId}-${n}`, sessionId: 'S-1', customerId: 'C-1', eventType: 'purchase', productId: 'P-1', category: 'books', price: 12.5, timestamp: Date.parse('2024-03-01T09:00:00Z') + n });
    const line = (position: string, value: object) => {
      const [partition, offset] = position.split(':');
      return JSON.stringify({ partition: Number(partition), offset, value, topic: clickTopic });
    };
    const dir = mkdtempSync(join(tmpdir(), 'dlq-fixes-'));
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, `${line(first, fixed(1))}\n${line(second, { ...fixed(2), price: -3, eventType: 'browse' })}\n`);
    const refusedFix = await dl('replay', '--fixed', bad);
    expect(refusedFix.code).toBe(1);
    expect(refusedFix.err).toBe(`refused, nothing sent: invalid fixes: line 2 (${second}): ClickEvent: eventType Invalid option: expected one of "page_view"|"add_to_cart"|"remove_from_cart"|"checkout"|"purchase"; price must be at least 0\n`);
    expect(await replayedOnClicks()).toHaveLength(4);

    const good = join(dir, 'good.jsonl');
    writeFileSync(good, `${line(first, fixed(1))}\n${line(second, fixed(2))}\n`);
    const sent = await dl('replay', '--fixed', good);
    expect({ code: sent.code, err: sent.err }).toEqual({ code: 0, err: '' });
    expect(sent.out).toBe(`replayed 2 dead letters from ${deadLetters}, recorded in ${ledger}:\n  ${first} → ${clickTopic} (fixed value)\n  ${second} → ${clickTopic} (fixed value)\n`);
    expect(await dl('replay', '--fixed', good)).toEqual({ code: 0, out: `nothing to replay: all 2 selected dead letters were replayed before (${ledger})\n`, err: '' });

    const fixedFrom = [`${deadLetters}/${first}`, `${deadLetters}/${second}`];
    const arrived = (await replayedOnClicks()).filter((record) => fixedFrom.includes(record.message.headers?.[HEADERS.replayedFrom]?.toString() ?? ''));
    expect(arrived.map((record) => [record.message.key?.toString(), record.message.headers?.[HEADERS.replayedFrom]?.toString()]).sort()).toEqual(fixedFrom.map((from) => ['books', from]).sort());
    const values = await Promise.all(arrived.map((record) => registry.decode(record.message.value as Buffer) as Promise<{ eventId: string }>));
    expect(values.map((value) => value.eventId).sort()).toEqual([`fixed-${runId}-1`, `fixed-${runId}-2`]);
  });
});
