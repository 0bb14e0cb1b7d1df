import fc from 'fast-check';
import { windowRecordKey } from './window-fields';

describe('windowRecordKey', () => {
  it('is the domain key, the window start in ISO-8601 and the window length, for any start (its text cache included)', () => {
    expect(windowRecordKey('sensor-1', { windowStart: Date.UTC(2024, 2, 1, 10, 5), windowMinutes: 5 })).toBe('sensor-1|2024-03-01T10:05:00.000Z|5m');
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.integer({ min: 1, max: 525_600 }), (key, windowStart, windowMinutes) => {
        expect(windowRecordKey(key, { windowStart, windowMinutes })).toBe(`${key}|${new Date(windowStart).toISOString()}|${windowMinutes}m`);
      }),
      { numRuns: 10_000 },
    );
  });
});
