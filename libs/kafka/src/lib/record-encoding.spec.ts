/**
 * kafkajs' record encoding as patched (patches/kafkajs+2.2.4.patch): each record's encoder is
 * allocated at the record's size, varints are written in place, and the produce request passes a
 * record's fields by name. A record of any size, with or without key, value and headers, must
 * decode to what was sent, and every varint must be the bytes upstream wrote. Decoding as patched:
 * offsets and timestamps in doubles where exact, in Longs beyond, always the values upstream read.
 */
import fc from 'fast-check';

type RecordHeaders = Record<string, string | string[]>;
interface EncodedRecord {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: RecordHeaders;
  offsetDelta: number;
  timestampDelta: number;
}
interface DecodedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
  offset: string;
  timestamp: string;
}
// kafkajs internals (no typings), resolved at run time like the read-committed filter.
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: EncodedRecord) => { buffer: Buffer };
const { RecordBatch: encodeBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (batch: { records: unknown[]; firstTimestamp: number; maxTimestamp: number; lastOffsetDelta: number }) => Promise<{ buffer: Buffer }> };
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (decoder: unknown) => Promise<{ records: DecodedRecord[] }>;
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => { readVarInt(): number; readVarLongSafe(): number | { toString(): string } };
interface KafkajsEncoder {
  writeVarInt(value: number): unknown;
  writeVarLong(value: number): unknown;
  buffer: Buffer;
}
const Encoder = require('kafkajs/src/protocol/encoder') as { new (initialSize?: number): KafkajsEncoder; sizeOfVarLong(value: number): number };

/** kafkajs 2.2.4's varlong as published (64-bit zigzag, then LEB128), restated with BigInt as the reference. */
function upstreamVarLong(value: number | bigint): Buffer {
  const long = BigInt(value);
  let unsigned = BigInt.asUintN(64, (long << 1n) ^ (long >> 63n));
  const bytes: number[] = [];
  while ((unsigned & 0xffffffffffffff80n) !== 0n) {
    bytes.push(Number(unsigned & 0x7fn) | 0x80);
    unsigned >>= 7n;
  }
  bytes.push(Number(unsigned));
  return Buffer.from(bytes);
}

/** kafkajs 2.2.4's varint as published (zigzag, then LEB128), restated as the reference. */
function upstreamVarInt(value: number): Buffer {
  let unsigned = (value << 1) ^ (value >> 31);
  const bytes: number[] = [];
  while ((unsigned & 0xffffff80) !== 0) {
    bytes.push((unsigned & 0x7f) | 0x80);
    unsigned >>>= 7;
  }
  bytes.push(unsigned & 0x7f);
  return Buffer.from(bytes);
}

const bytes = (length: number, seed: number) => Buffer.from(Array.from({ length }, (_, index) => (index * 31 + seed) % 256));

describe('kafkajs record encoding (patched: encoders sized to the record)', () => {
  const sizes = [0, 1, 100, 500, 511, 512, 513, 1024, 5000, 70_000];
  const records: EncodedRecord[] = sizes.flatMap((size, index) => [
    { key: `key-${size}`, value: bytes(size, index), offsetDelta: 2 * index, timestampDelta: index },
    { key: null, value: size === 0 ? null : bytes(size, index + 1), headers: { a: 'x'.repeat(size % 700), b: ['1', '2'] }, offsetDelta: 2 * index + 1, timestampDelta: 1000 * index },
  ]);

  it('encodes each record to exactly its bytes and decodes back to what was sent', async () => {
    const firstTimestamp = 1_700_000_000_000;
    const batch = await encodeBatch({ records: records.map(encodeRecord), firstTimestamp, maxTimestamp: firstTimestamp + 10_000, lastOffsetDelta: records.length - 1 });
    const decoded = await decodeBatch(new Decoder(batch.buffer));
    expect(decoded.records).toHaveLength(records.length);
    decoded.records.forEach((got, index) => {
      const sent = records[index] as EncodedRecord;
      expect(got.offset).toBe(String(sent.offsetDelta));
      expect(got.timestamp).toBe(String(firstTimestamp + sent.timestampDelta));
      expect(got.key?.toString()).toEqual(sent.key === null ? undefined : sent.key.toString());
      expect(got.value === null ? null : Buffer.compare(got.value, sent.value as Buffer)).toBe(sent.value === null ? null : 0);
      expect(Object.fromEntries(Object.entries(got.headers).map(([name, value]) => [name, Array.isArray(value) ? value.map(String) : String(value)]))).toEqual(sent.headers ?? {});
    });
  });

  it('writes every varint as upstream did, and reads it back', () => {
    const values = [0, 1, -1, 63, -64, 64, -65, 127, 128, 8191, 8192, 2 ** 20, -(2 ** 20), 2 ** 27, 2 ** 30, 2 ** 31 - 1, -(2 ** 31)];
    for (let shift = 0; shift < 31; shift += 1) values.push(2 ** shift - 1, -(2 ** shift));
    for (const value of values) {
      // A one-byte encoder, so a varint that does not fit must grow it.
      const encoder = new Encoder(1);
      encoder.writeVarInt(value);
      expect({ value, bytes: [...encoder.buffer] }).toEqual({ value, bytes: [...upstreamVarInt(value)] });
      expect(new Decoder(encoder.buffer).readVarInt()).toBe(value);
    }
  });

  it('writes every varlong as upstream did (an int32 number takes the varint path), and sizes it alike', () => {
    const values = [0, 1, -1, 1000, -1000, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
    for (let shift = 0; shift < 53; shift += 1) values.push(2 ** shift - 1, -(2 ** shift));
    for (const value of values) {
      const encoder = new Encoder(1);
      encoder.writeVarLong(value);
      const expected = upstreamVarLong(value);
      expect({ value, bytes: [...encoder.buffer] }).toEqual({ value, bytes: [...expected] });
      expect({ value, size: Encoder.sizeOfVarLong(value) }).toEqual({ value, size: expected.length });
    }
  });

  it('reads every varlong as upstream did: a number where it is exact, beyond 2^53 the same digits', () => {
    const values: bigint[] = [0n, 1n, -1n, 2n ** 31n, -(2n ** 31n), 2n ** 53n - 1n, -(2n ** 53n) + 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 3n, 2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n];
    for (let shift = 0n; shift < 63n; shift += 1n) values.push(2n ** shift - 1n, -(2n ** shift), 2n ** shift + 1n);
    for (const value of values) {
      const read = new Decoder(upstreamVarLong(value)).readVarLongSafe();
      expect({ value: String(value), read: String(read) }).toEqual({ value: String(value), read: String(value) });
      if (value > -(2n ** 48n) && value < 2n ** 48n) expect(typeof read).toBe('number');
    }
  });

  it('decodes offsets and timestamps from any base, across 2^53 too', async () => {
    const encoded = await encodeBatch({ records: records.map(encodeRecord), firstTimestamp: 0, maxTimestamp: 10_000, lastOffsetDelta: records.length - 1 });
    for (const [baseOffset, baseTimestamp] of [
      [0n, 1_700_000_000_000n],
      [2n ** 53n - 5n, 2n ** 53n - 1_000n],
      [2n ** 62n, -1n],
    ] as const) {
      // The batch header's base offset (bytes 0–7) and first timestamp (27–34); kafkajs does not check the CRC.
      const buffer = Buffer.from(encoded.buffer);
      buffer.writeBigInt64BE(baseOffset, 0);
      buffer.writeBigInt64BE(baseTimestamp, 27);
      const decoded = await decodeBatch(new Decoder(buffer));
      decoded.records.forEach((got, index) => {
        const sent = records[index] as EncodedRecord;
        expect({ offset: got.offset, timestamp: got.timestamp }).toEqual({ offset: String(baseOffset + BigInt(sent.offsetDelta)), timestamp: String(baseTimestamp + BigInt(sent.timestampDelta)) });
      });
    }
  });

  it('allocates no more than the next power of two above the record size (was 512 bytes at least)', () => {
    const small = encodeRecord({ key: 'k', value: bytes(40, 1), offsetDelta: 0, timestampDelta: 0 });
    expect(small.buffer.length).toBeLessThanOrEqual(64);
    const large = encodeRecord({ key: 'k', value: bytes(5000, 1), offsetDelta: 0, timestampDelta: 0 });
    expect(large.buffer.length).toBeGreaterThan(5000);
  });
});

describe('kafkajs uncompressed partition entry (patched: one pass into one buffer)', () => {
  interface SentMessage {
    key: Buffer | string | null;
    value: Buffer | string | null;
    headers?: Record<string, string | Buffer | Array<string | Buffer>>;
    timestamp: number;
  }
  interface PartitionEntry {
    partition: number;
    messages: SentMessage[];
    transactional: boolean;
    producerId: unknown;
    producerEpoch: number;
    firstSequence: number;
  }
  const encodePartition = require('kafkajs/src/protocol/recordBatch/v0/uncompressedPartition') as (entry: PartitionEntry) => { buffer: Buffer };
  const Long = require('kafkajs/src/utils/long') as { fromValue(value: number): unknown };
  const { RecordBatch: upstreamBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
    RecordBatch: (batch: Record<string, unknown>) => Promise<{ buffer: Buffer; size(): number }>;
  };

  /** Upstream's path (produce v3 partitionsEncoder as published): a record encoder each, copied into the batch, the batch into the entry. */
  async function upstreamEntry(entry: PartitionEntry): Promise<Buffer> {
    const timestamps = entry.messages.map((message) => message.timestamp).sort();
    const firstTimestamp = timestamps[0] ?? 0;
    const records = entry.messages.map((message, index) => encodeRecord({ key: message.key, value: message.value, headers: message.headers as RecordHeaders | undefined, offsetDelta: index, timestampDelta: message.timestamp - firstTimestamp }));
    const batch = await upstreamBatch({ records, firstTimestamp, maxTimestamp: timestamps.at(-1), producerId: entry.producerId, producerEpoch: entry.producerEpoch, firstSequence: entry.firstSequence, transactional: entry.transactional, lastOffsetDelta: records.length - 1 });
    const prefix = Buffer.alloc(8);
    prefix.writeInt32BE(entry.partition, 0);
    prefix.writeInt32BE(batch.size(), 4);
    return Buffer.concat([prefix, batch.buffer]);
  }

  // Strings around the encoder's ASCII quick path (under 64 characters): graphemes, any code points, lone surrogates.
  const text = fc.oneof(fc.string({ maxLength: 40, unit: 'grapheme' }), fc.string({ maxLength: 70, unit: 'binary' }), fc.constantFrom('\ud800x', 'é'.repeat(40), 'a'.repeat(63), 'a'.repeat(64), `${'a'.repeat(62)}\u0080`));
  const payload = fc.oneof(fc.constant(null), text, fc.uint8Array({ maxLength: 600 }).map((array) => Buffer.from(array)));
  const message = fc.record({
    key: payload,
    value: fc.oneof(payload, fc.integer({ min: 0, max: 70_000 }).map((length) => bytes(length, length))),
    headers: fc.option(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.oneof(fc.string({ maxLength: 30 }), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), fc.uint8Array({ maxLength: 20 }).map((array) => Buffer.from(array)))), { nil: undefined }),
    // Same digit count, as every millisecond timestamp since 2001: upstream's string sort is then numeric. Spreads past 2^31 ms too.
    timestamp: fc.integer({ min: 1_700_000_000_000, max: 1_700_000_000_000 + 2 ** 33 }),
  });

  it('writes the bytes upstream wrote, for any records, headers and timestamps', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 60 }), fc.nat(99), fc.boolean(), fc.nat(2 ** 31 - 1), async (messages, partition, transactional, firstSequence) => {
        const entry: PartitionEntry = { partition, messages, transactional, producerId: Long.fromValue(firstSequence * 7 + 3), producerEpoch: partition % 5, firstSequence };
        const patched = encodePartition(entry).buffer;
        const expected = await upstreamEntry(entry);
        expect(Buffer.compare(patched, expected)).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes back to what was sent, with a valid CRC', async () => {
    const messages: SentMessage[] = [
      { key: 'k', value: bytes(100, 1), headers: { a: ['1', '2'], b: Buffer.from('x') }, timestamp: 1_700_000_000_500 },
      { key: null, value: null, timestamp: 1_700_000_000_000 },
      { key: Buffer.from('é'), value: 'text', timestamp: 1_700_000_000_250 },
    ];
    const entry = encodePartition({ partition: 3, messages, transactional: true, producerId: Long.fromValue(42), producerEpoch: 1, firstSequence: 10 }).buffer;
    const batch = entry.subarray(8);
    // CRC32C over attributes..end, as the broker checks it.
    const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as (buffer: Buffer) => number;
    expect(batch.readUInt32BE(17)).toBe(crc32C(batch.subarray(21)));
    const decoded = await decodeBatch(new Decoder(batch));
    expect(decoded.records.map((record) => ({ key: record.key?.toString() ?? null, value: record.value?.toString('hex') ?? null, timestamp: Number(record.timestamp) }))).toEqual(
      messages.map((sent) => ({ key: sent.key?.toString() ?? null, value: sent.value === null ? null : Buffer.from(sent.value).toString('hex'), timestamp: sent.timestamp })),
    );
    expect(decoded.records[0]?.headers).toEqual({ a: [Buffer.from('1'), Buffer.from('2')], b: Buffer.from('x') });
  });
});

describe('kafkajs CRC32C (patched: eight bytes per step)', () => {
  const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as (buffer: Buffer) => number;

  /** CRC32C bit by bit (reflected polynomial 0x82f63b78), the reference. */
  function bitwise(buffer: Uint8Array): number {
    let crc = 0xffffffff;
    for (const byte of buffer) {
      crc ^= byte;
      for (let bit = 0; bit < 8; bit += 1) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    }
    return (crc ^ 0xffffffff) >>> 0;
  }

  it('gives the standard check value and the bitwise checksum of any bytes, at every length and offset', () => {
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), (bytes, offset) => {
        const buffer = Buffer.from(bytes).subarray(Math.min(offset, bytes.length));
        expect(crc32C(buffer)).toBe(bitwise(buffer));
      }),
      { numRuns: 1000 },
    );
  });
});
