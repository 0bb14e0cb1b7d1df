import { deadLetterRecord, HEADERS } from '@pipeline/contracts';
import type { KafkaMessage } from '@pipeline/kafka';
import { deadLetterMessage } from '../publish/dead-letter';
import { DeadLetterGrouper, DeadLetterSelection, HOUR_MS, parsePosition, toDeadLetterEntry, type DeadLetterEntry } from './dead-letter-entry';
import { replayHeaders } from './dead-letter-tool';
import { formatListing, formatReplay } from './format';
import { decodePayload, decodePlain, describePayload, jsonText } from './payload';
import { bindingFor, parseFixes, planReplay } from './replay-plan';

const T0 = Date.parse('2026-03-01T09:00:00.000Z');

/** A dead-letter record as the consumer would hand it over (headers as bytes). */
function consumed(message: { key?: Buffer | string | null; value: Buffer | string | null; headers?: Record<string, unknown> }, offset: number, timestamp = T0): KafkaMessage {
  const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, Buffer.from(String(value))]));
  const bytes = (data: Buffer | string | null | undefined) => (data === null || data === undefined ? null : Buffer.isBuffer(data) ? data : Buffer.from(data));
  return { key: bytes(message.key), value: bytes(message.value), headers, offset: String(offset), timestamp: String(timestamp), attributes: 0 } as KafkaMessage;
}

/** A raw CSV row refused at ingestion (no source topic). */
function rawRow(partition: number, offset: number, at: number): DeadLetterEntry {
  const letter = deadLetterMessage({ source: 'clicks.csv', position: `line ${offset + 2}`, reason: 'price must be a finite number', contract: 'ClickEvent', raw: { price: 'abc' } });
  return toDeadLetterEntry(consumed({ ...letter, headers: { ...letter.headers, [HEADERS.failedAt]: new Date(at).toISOString() } } as never, offset), partition);
}

/** A record the aggregator could not decode (source topic and position in headers, its own header kept). */
function refused(partition: number, offset: number, at: number, reasonClass = 'decode'): DeadLetterEntry {
  const letter = deadLetterRecord(
    { reason: 'not Avro', reasonClass, source: 'stream-aggregator/clickstream', contract: 'ClickEvent', origin: { topic: 'clickstream.events', partition: 4, offset: '17' }, key: 'books', value: Buffer.from([1, 2, 3]), headers: { trace: 'abc' } },
    new Date(at),
  );
  return toDeadLetterEntry(consumed(letter as never, offset), partition);
}

describe('dead-letter entries', () => {
  it('reads the headers every dead-letter builder writes', () => {
    const entry = refused(1, 7, T0 + 5000);
    expect(entry).toMatchObject({ partition: 1, offset: '7', reasonClass: 'decode', source: 'stream-aggregator/clickstream', sourceTopic: 'clickstream.events', contract: 'ClickEvent', failedAt: T0 + 5000 });
    expect(rawRow(0, 3, T0)).toMatchObject({ reasonClass: 'invalid-input', source: 'clicks.csv', sourceTopic: undefined, contract: 'ClickEvent' });
    expect(toDeadLetterEntry(consumed({ value: 'x' }, 0, T0 + 1), 0)).toMatchObject({ reasonClass: 'unknown', source: 'unknown', failedAt: T0 + 1 });
  });

  it('parses <partition>:<offset> and refuses anything else', () => {
    expect(parsePosition('2:0042')).toEqual({ partition: 2, offset: '42' });
    expect(() => parsePosition('2')).toThrow('"2" is not <partition>:<offset> (e.g. 0:42)');
    expect(() => parsePosition('-1:3')).toThrow('is not <partition>:<offset>');
  });

  it('groups by hour, reason class, source topic and source, with first and last offset per partition', () => {
    const grouper = new DeadLetterGrouper();
    for (const entry of [rawRow(0, 3, T0), rawRow(0, 9, T0 + 60_000), rawRow(2, 1, T0 + 120_000), refused(1, 5, T0 + 10), refused(1, 6, T0 + HOUR_MS), rawRow(0, 12, T0 + HOUR_MS + 1)]) grouper.add(entry);
    const groups = grouper.result();
    expect(grouper.count).toBe(6);
    expect(groups.map(({ bucketStart, reasonClass, sourceTopic, source, count, offsets }) => ({ hour: new Date(bucketStart).toISOString(), reasonClass, sourceTopic, source, count, offsets }))).toEqual([
      { hour: '2026-03-01T09:00:00.000Z', reasonClass: 'decode', sourceTopic: 'clickstream.events', source: 'stream-aggregator/clickstream', count: 1, offsets: [{ partition: 1, first: '5', last: '5' }] },
      {
        hour: '2026-03-01T09:00:00.000Z',
        reasonClass: 'invalid-input',
        sourceTopic: '-',
        source: 'clicks.csv',
        count: 3,
        offsets: [
          { partition: 0, first: '3', last: '9' },
          { partition: 2, first: '1', last: '1' },
        ],
      },
      { hour: '2026-03-01T10:00:00.000Z', reasonClass: 'decode', sourceTopic: 'clickstream.events', source: 'stream-aggregator/clickstream', count: 1, offsets: [{ partition: 1, first: '6', last: '6' }] },
      { hour: '2026-03-01T10:00:00.000Z', reasonClass: 'invalid-input', sourceTopic: '-', source: 'clicks.csv', count: 1, offsets: [{ partition: 0, first: '12', last: '12' }] },
    ]);
    const text = formatListing({ deadLetterTopic: 'pipeline.dead-letter', read: 8, matched: 6, listed: 6, groups });
    expect(text).toContain('pipeline.dead-letter: 8 records read, 6 matched, 4 groups');
    expect(text.split('\n').slice(1)).toEqual([
      'hour (UTC)        reason class   source topic        source                         count  offsets (first…last)',
      '2026-03-01 09:00  decode         clickstream.events  stream-aggregator/clickstream  1      p1 5',
      '2026-03-01 09:00  invalid-input  -                   clicks.csv                     3      p0 3…9, p2 1',
      '2026-03-01 10:00  decode         clickstream.events  stream-aggregator/clickstream  1      p1 6',
      '2026-03-01 10:00  invalid-input  -                   clicks.csv                     1      p0 12',
      'for example:',
      '  decode from stream-aggregator/clickstream: not Avro',
      '  invalid-input from clicks.csv: price must be a finite number',
    ]);
  });

  it('selects by every filter given, the oldest first up to the limit', () => {
    const entries = [rawRow(0, 3, T0 + 3), rawRow(0, 4, T0 + 4), refused(1, 0, T0 + 1), refused(1, 1, T0 + 2, 'contract'), rawRow(2, 0, T0 + HOUR_MS)];
    const select = (filter: ConstructorParameters<typeof DeadLetterSelection>[0], limit?: number) => {
      const selection = new DeadLetterSelection(filter, limit);
      for (const entry of entries) selection.offer(entry);
      return { matched: selection.matchedCount, kept: selection.entries().map((entry) => `${entry.partition}:${entry.offset}`) };
    };
    expect(select({})).toEqual({ matched: 5, kept: ['1:0', '1:1', '0:3', '0:4', '2:0'] });
    expect(select({}, 2)).toEqual({ matched: 5, kept: ['1:0', '1:1'] });
    expect(select({ reasonClass: 'invalid-input' })).toEqual({ matched: 3, kept: ['0:3', '0:4', '2:0'] });
    expect(select({ sourceTopic: 'clickstream.events', reasonClass: 'decode' })).toEqual({ matched: 1, kept: ['1:0'] });
    expect(select({ since: T0 + 2, until: T0 + HOUR_MS })).toEqual({ matched: 3, kept: ['1:1', '0:3', '0:4'] });
  });
});

describe('dead-letter payloads', () => {
  it('tells JSON, text and binary apart without a registry', () => {
    expect(decodePlain(Buffer.from('{"price":"abc"}'))).toEqual({ kind: 'json', value: { price: 'abc' } });
    expect(decodePlain(Buffer.from('books'))).toEqual({ kind: 'text', text: 'books' });
    expect(decodePlain(Buffer.from('12 monkeys'))).toEqual({ kind: 'text', text: '12 monkeys' });
    expect(decodePlain(Buffer.from([0xff, 0x00, 0x01]))).toEqual({ kind: 'binary', hex: 'ff0001' });
  });

  it('decodes registry-framed Avro through the decoder, and shows framed bytes that do not decode as hex with the reason', async () => {
    const framed = Buffer.from([0, 0, 0, 0, 7, 2, 4]);
    expect(await decodePayload(framed, async () => ({ price: 1.5 }))).toEqual({ kind: 'avro', schemaId: 7, value: { price: 1.5 } });
    const broken = await decodePayload(framed, async () => Promise.reject(new Error('Schema not found')));
    expect(broken).toEqual({ kind: 'binary', hex: '00000000070204', note: 'framed as Avro with schema id 7, but it does not decode: Schema not found' });
    expect(describePayload(broken)).toBe('framed as Avro with schema id 7, but it does not decode: Schema not found\nhex (7 bytes): 00000000070204');
    expect(await decodePayload(null)).toEqual({ kind: 'empty' });
    expect(await decodePayload(Buffer.alloc(0))).toEqual({ kind: 'empty' });
  });

  it('writes bytes as hex and 64-bit integers as text in JSON', () => {
    expect(jsonText({ bytes: Buffer.from([1, 171]), big: 2n ** 64n, nested: [{ b: Buffer.from('A') }] })).toBe('{"bytes":"01ab","big":"18446744073709551616","nested":[{"b":"41"}]}');
  });
});

describe('dead-letter replay plans', () => {
  it('sends each record back to its source topic, minus the ledger, and keeps its own headers only', () => {
    const entries = [refused(1, 0, T0), refused(1, 1, T0)];
    const plan = planReplay(entries, new Set(['1:0']));
    expect(plan.send.map((item) => [item.entry.offset, item.target])).toEqual([['1', 'clickstream.events']]);
    expect(plan.alreadyReplayed.map((item) => item.entry.offset)).toEqual(['0']);
    const headers = replayHeaders(entries[1] as DeadLetterEntry, 'ns.pipeline.dead-letter');
    expect(Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, String(value)]))).toEqual({ trace: 'abc', [HEADERS.replayedFrom]: 'ns.pipeline.dead-letter/1:1' });
    expect(formatReplay({ deadLetterTopic: 'd', ledgerTopic: 'd-replays', dryRun: false, sent: [{ position: '1:1', target: 'clickstream.events', fixed: false }], alreadyReplayed: [{ position: '1:0', target: 'clickstream.events' }] })).toBe(
      'replayed 1 dead letters from d, recorded in d-replays:\n  1:1 → clickstream.events\nalready replayed, not sent again: 1 (1:0)',
    );
    expect(formatReplay({ deadLetterTopic: 'd', ledgerTopic: 'd-replays', dryRun: false, sent: [], alreadyReplayed: [{ position: '1:0', target: 'x' }] })).toBe('nothing to replay: all 1 selected dead letters were replayed before (d-replays)');
  });

  it('refuses raw input without a source topic, sending nothing', () => {
    expect(() => planReplay([refused(1, 0, T0), rawRow(0, 3, T0)], new Set())).toThrow(
      'refused, nothing sent: 1 dead letter(s) have no known source topic: 0:3 (invalid-input from clicks.csv, contract ClickEvent); they are raw input, not records of a topic: send them back corrected with --fixed, or narrow the selection (--source-topic)',
    );
  });

  it('sends fixed raw input to the fix line topic, else to its contract event topic', () => {
    const fixes = parseFixes('{"partition":0,"offset":3,"value":{"a":1}}\n\n{"partition":0,"offset":"4","value":{"a":2},"topic":"mine"}\n');
    expect(fixes).toEqual([
      { partition: 0, offset: '3', value: { a: 1 }, line: 1 },
      { partition: 0, offset: '4', value: { a: 2 }, topic: 'mine', line: 3 },
    ]);
    const plan = planReplay([rawRow(0, 3, T0), rawRow(0, 4, T0)], new Set(), fixes);
    expect(plan.send.map((item) => [item.entry.offset, item.target, item.fix?.line])).toEqual([
      ['3', 'clickstream.events', 1],
      ['4', 'mine', 3],
    ]);
    expect(bindingFor('mine', 'ClickEvent')?.contract.name).toBe('ClickEvent');
    expect(bindingFor('iot.sensor-readings', undefined)?.contract.name).toBe('SensorReading');
  });

  it('names every bad line of a fixes file', () => {
    expect(() => parseFixes('{"partition":0,"offset":3}\nnope\n{"partition":-1,"offset":3,"value":{}}\n{"partition":0,"offset":3,"value":{}}\n{"partition":0,"offset":3,"value":{}}', 'f.jsonl')).toThrow(
      /^f\.jsonl: line 1: "value" must be the corrected value object; line 2: not JSON \(.*\); line 3: "partition" must be a non-negative integer and "offset" a non-negative integer \(number or string\); line 5: dead letter 0:3 is fixed twice$/,
    );
    expect(() => parseFixes('\n', 'f.jsonl')).toThrow('f.jsonl: no fixes in it');
  });
});
