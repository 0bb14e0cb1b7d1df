import fc from 'fast-check';
import { AdaptiveBatchSize, backoffMs, boundedChunks } from './batches';

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

describe('adaptive batch size', () => {
  it('halves after a slow batch, down to the minimum, and grows back by half after quick full batches, up to the maximum', () => {
    const size = new AdaptiveBatchSize(50_000, 10_000);
    size.observe(50_000, 25_000);
    expect(size.current).toBe(25_000);
    for (let slow = 0; slow < 20; slow++) size.observe(size.current, 25_000);
    expect(size.current).toBe(100);
    size.observe(100, 100);
    expect(size.current).toBe(150);
    // A quick batch smaller than the limit (the fetch had no more) says nothing about a bigger one.
    size.observe(10, 1);
    expect(size.current).toBe(150);
    for (let quick = 0; quick < 40; quick++) size.observe(size.current, 100);
    expect(size.current).toBe(50_000);
  });

  it('shrinks below the size of the batch that expired, never below the minimum', () => {
    const size = new AdaptiveBatchSize(50_000, 10_000, 500);
    size.shrink(8_000);
    expect(size.current).toBe(4_000);
    size.shrink(600);
    expect(size.current).toBe(500);
  });
});
