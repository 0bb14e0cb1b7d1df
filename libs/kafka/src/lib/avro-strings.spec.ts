import { Type } from 'avsc';
import fc from 'fast-check';

/** Avro's long: zigzag, then 7 bits per byte, low first. */
function varint(value: number): Buffer {
  let zigzag = value * 2;
  const bytes: number[] = [];
  while (zigzag >= 0x80) {
    bytes.push((zigzag % 0x80) | 0x80);
    zigzag = Math.floor(zigzag / 0x80);
  }
  bytes.push(zigzag);
  return Buffer.from(bytes);
}

/**
 * Upstream avsc's bytes for a string: its UTF-8 byte count, then the bytes, which for at most 64 bytes its own
 * loop writes (a lone surrogate as its three-byte code unit, where Buffer.from writes U+FFFD).
 */
function upstreamBytes(text: string): Buffer {
  const length = Buffer.byteLength(text);
  if (length > 64) return Buffer.concat([varint(length), Buffer.from(text, 'utf8')]);
  const bytes: number[] = [];
  for (let index = 0; index < text.length; index++) {
    let code = text.charCodeAt(index);
    const next = text.charCodeAt(index + 1);
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push((code >> 6) | 0xc0, (code & 0x3f) | 0x80);
    else if ((code & 0xfc00) === 0xd800 && (next & 0xfc00) === 0xdc00) {
      code = 0x10000 + ((code & 0x03ff) << 10) + (next & 0x03ff);
      index++;
      bytes.push((code >> 18) | 0xf0, ((code >> 12) & 0x3f) | 0x80, ((code >> 6) & 0x3f) | 0x80, (code & 0x3f) | 0x80);
    } else bytes.push((code >> 12) | 0xe0, ((code >> 6) & 0x3f) | 0x80, (code & 0x3f) | 0x80);
  }
  return Buffer.concat([varint(length), Buffer.from(bytes.slice(0, length))]);
}

/**
 * avsc is patched (patches/avsc+*.patch): a string of fewer than 64 ASCII characters is written without
 * Buffer.byteLength. Its bytes must be upstream's for every string, and a buffer too short must still be
 * reported as such (avsc then grows its buffer).
 */
describe('avsc string encoding (patched)', () => {
  const strings = fc.oneof(
    fc.string({ maxLength: 70 }),
    fc.string({ unit: 'binary', maxLength: 70 }),
    fc.string({ unit: fc.constantFrom('a', 'é', '€', '😀', '\ud800', '\u007f', '\u0080'), maxLength: 70 }),
  );

  it("writes upstream's bytes for strings of any characters and lengths around the quick path", () => {
    const type = Type.forSchema('string');
    fc.assert(
      fc.property(strings, (text) => {
        expect(type.toBuffer(text)).toEqual(upstreamBytes(text));
      }),
      { numRuns: 5000 },
    );
    for (const length of [0, 1, 62, 63, 64, 65, 127, 128]) expect(type.toBuffer('x'.repeat(length))).toEqual(upstreamBytes('x'.repeat(length)));
  });

  it('reports a buffer too short by exactly the bytes missing, at any offset', () => {
    const record = Type.forSchema({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }, { name: 'b', type: 'string' }] });
    fc.assert(
      fc.property(strings, strings, fc.integer({ min: 0, max: 20 }), (a, b, offset) => {
        const bytes = Buffer.concat([upstreamBytes(a), upstreamBytes(b)]);
        const room = Buffer.alloc(offset + bytes.length);
        expect(record.encode({ a, b }, room, offset)).toBe(offset + bytes.length);
        expect(room.subarray(offset)).toEqual(bytes);
        // One byte short, wherever it falls: avsc's protocol is a negative count of the missing bytes.
        expect(record.encode({ a, b }, Buffer.alloc(offset + bytes.length - 1), offset)).toBe(-1);
      }),
      { numRuns: 3000 },
    );
  });
});
