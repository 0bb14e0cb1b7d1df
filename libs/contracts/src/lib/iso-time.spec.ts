import fc from 'fast-check';
import { utcIsoMillis } from './fields';

/** The quick ISO path must be Date.parse wherever it answers, and answer the common shapes. */
describe('utcIsoMillis', () => {
  const instants = fc.integer({ min: 0, max: 253402300799999 });

  it('reads toISOString and its shorter fractions exactly as Date.parse does', () => {
    fc.assert(
      fc.property(instants, fc.integer({ min: 0, max: 3 }), (millis, fractionDigits) => {
        const full = new Date(millis).toISOString();
        const text = fractionDigits === 0 ? `${full.slice(0, 19)}Z` : `${full.slice(0, 20 + fractionDigits)}Z`;
        const quick = utcIsoMillis(text);
        // Days past 28 go to Date.parse; every other date of the format is answered.
        if (Number(text.slice(8, 10)) <= 28) expect(quick).toBe(Date.parse(text));
        else expect(quick).toBeUndefined();
      }),
      { numRuns: 20_000 },
    );
  });

  it('answers only what Date.parse reads the same way, whatever the text', () => {
    const isoish = fc.tuple(instants, fc.integer({ min: 0, max: 24 }), fc.string({ minLength: 0, maxLength: 2 }), fc.integer({ min: 0, max: 3 })).map(([millis, at, insert, cut]) => {
      const text = new Date(millis).toISOString();
      // A character or two changed, added or removed somewhere: digits out of range, wrong separators, other lengths.
      return text.slice(0, at) + insert + text.slice(at + cut);
    });
    const digitsChanged = fc.tuple(instants, fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 9 })).map(([millis, at, digit]) => {
      const text = new Date(millis).toISOString();
      return text.slice(0, at) + String(digit) + text.slice(at + 1);
    });
    fc.assert(
      fc.property(fc.oneof(isoish, digitsChanged, fc.string({ maxLength: 26 })), (text) => {
        const quick = utcIsoMillis(text);
        if (quick !== undefined) expect([text, quick]).toEqual([text, Date.parse(text)]);
      }),
      { numRuns: 50_000 },
    );
  });

  it('leaves what it does not read to Date.parse', () => {
    for (const text of ['2024-02-29T00:00:00Z', '2024-01-31T23:59:59.999Z', '2024-01-01T24:00:00Z', '2024-01-01T00:00:00+02:00', '2024-01-01T00:00:00.1234Z', '2024-01-01 00:00:00Z', '1969-12-31T23:59:59Z', '2024-01-01T00:00:00z']) {
      expect([text, utcIsoMillis(text)]).toEqual([text, undefined]);
    }
    expect(utcIsoMillis('2024-01-01T00:00:00Z')).toBe(Date.UTC(2024, 0, 1));
    expect(utcIsoMillis('2024-03-05T06:07:08.9Z')).toBe(Date.UTC(2024, 2, 5, 6, 7, 8, 900));
  });
});
