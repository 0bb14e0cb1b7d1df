import fc from 'fast-check';
import { backoffMs, boundedChunks } from './batches';

describe('bounded batches', () => {
  it('keep every record once, in order, within the record and byte caps', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 500 }), { maxLength: 300 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 2000 }), (sizes, maxRecords, maxBytes) => {
        const chunks = boundedChunks(sizes, (size) => size, { maxRecords, maxBytes });
        expect(chunks.flat()).toEqual(sizes);
        for (const chunk of chunks) {
          expect(chunk.length).toBeGreaterThan(0);
          expect(chunk.length).toBeLessThanOrEqual(maxRecords);
          // A record larger than the byte cap travels alone.
          if (chunk.length > 1) expect(chunk.reduce((sum, size) => sum + size, 0)).toBeLessThanOrEqual(maxBytes);
        }
      }),
    );
  });

  it('back off exponentially with jitter, up to the cap', () => {
    expect(backoffMs(0, 200, 10_000, () => 0)).toBe(100);
    expect(backoffMs(0, 200, 10_000, () => 1)).toBe(200);
    expect(backoffMs(3, 200, 10_000, () => 1)).toBe(1600);
    expect(backoffMs(40, 200, 10_000, () => 1)).toBe(10_000);
  });
});
