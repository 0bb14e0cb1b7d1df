import fc from 'fast-check';
import { roundTo } from './stages';

describe('roundTo (a numeric column rounding measures)', () => {
  it('rounds half away from zero on the decimal value, whichever side of a tie its double lies', () => {
    expect(roundTo(6, 61.4265625)).toBe(61.426563);
    expect(roundTo(6, 61.4265625 - 1e-13)).toBe(61.426563);
    expect(roundTo(6, 61.4265625 + 1e-13)).toBe(61.426563);
    expect(roundTo(6, -12.0000005)).toBe(-12.000001);
    expect(roundTo(6, 61.4265624)).toBe(61.426562);
    expect(roundTo(2, 0.125)).toBe(0.13);
    expect(roundTo(6, 0)).toBe(0);
    expect(Object.is(roundTo(6, -1e-9), 0)).toBe(true);
  });

  it('gives an average the same result however its sum was split and ordered (panes, batches, restores)', () => {
    const twoDecimals = fc.integer({ min: -10_000, max: 100_000 }).map((hundredths) => hundredths / 100);
    fc.assert(
      // Counts like 32 or 160 make averages of hundredths end in 5 at the 7th decimal: exact ties.
      fc.property(fc.constantFrom(7, 32, 64, 128, 160, 256).chain((length) => fc.array(twoDecimals, { minLength: length, maxLength: length })), fc.array(fc.nat(), { maxLength: 12 }), (values, cutSeeds) => {
        const inOrder = values.reduce((sum, value) => sum + value, 0) / values.length;
        // The same values as a merge of partial sums, newest part first (another order of additions).
        const cuts = [...new Set(cutSeeds.map((seed) => seed % values.length))].sort((a, b) => a - b);
        const parts = [0, ...cuts, values.length].slice(1).map((end, index, ends) => values.slice(index === 0 ? 0 : ends[index - 1], end));
        const merged = parts.reverse().reduce((sum, part) => sum + part.reduce((partSum, value) => partSum + value, 0), 0) / values.length;
        expect(roundTo(6, merged)).toBe(roundTo(6, inOrder));
      }),
      { numRuns: 2000 },
    );
  });
});
