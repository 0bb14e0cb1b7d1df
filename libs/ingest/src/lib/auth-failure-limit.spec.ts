import fc from 'fast-check';
import { AuthFailureLimit } from './auth-failure-limit';

const MINUTE = 60_000;

describe('AuthFailureLimit', () => {
  it('locks an address out after its allowed failures until its window ends, other addresses unaffected', () => {
    const limit = new AuthFailureLimit({ maxFailures: 3, windowMs: MINUTE, maxAddresses: 100 });
    for (let failure = 0; failure < 3; failure += 1) {
      expect(limit.lockedFor('203.0.113.7', 1_000 + failure)).toBe(0);
      expect(limit.recordFailure('203.0.113.7', 1_000 + failure)).toBe(failure === 2);
    }
    expect(limit.lockedFor('203.0.113.7', 1_010)).toBe(MINUTE - 10);
    expect(limit.lockedFor('198.51.100.1', 1_010)).toBe(0);
    expect(limit.lockedFor('203.0.113.7', 1_000 + MINUTE - 1)).toBe(1);
    // A new window: the count starts again.
    expect(limit.lockedFor('203.0.113.7', 1_000 + MINUTE)).toBe(0);
    limit.recordFailure('203.0.113.7', 1_000 + MINUTE);
    expect(limit.lockedFor('203.0.113.7', 1_000 + MINUTE)).toBe(0);
  });

  it('tracks at most maxAddresses, forgetting the oldest window first', () => {
    const limit = new AuthFailureLimit({ maxFailures: 1, windowMs: MINUTE, maxAddresses: 1_000 });
    for (let address = 0; address < 5_000; address += 1) limit.recordFailure(`10.0.${address >> 8}.${address & 255}`, address);
    expect(limit.trackedAddresses).toBe(1_000);
    expect(limit.lockedFor('10.0.0.0', 5_000)).toBe(0);
    expect(limit.lockedFor(`10.0.${4_999 >> 8}.${4_999 & 255}`, 5_000)).toBeGreaterThan(0);
  });

  it('forgets ended windows as new ones start', () => {
    const limit = new AuthFailureLimit({ maxFailures: 1, windowMs: MINUTE, maxAddresses: 1_000 });
    for (let address = 0; address < 500; address += 1) limit.recordFailure(`a${address}`, 0);
    limit.recordFailure('late', MINUTE);
    expect(limit.trackedAddresses).toBe(1);
  });

  it('never allows more than maxFailures failures of one address within any window, whatever the timing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.integer({ min: 0, max: 30_000 }), { maxLength: 60 }), (maxFailures, gaps) => {
        const windowMs = 10_000;
        const limit = new AuthFailureLimit({ maxFailures, windowMs, maxAddresses: 10 });
        let now = 0;
        let windowStart = -Infinity;
        let inWindow = 0;
        for (const gap of gaps) {
          now += gap;
          if (now >= windowStart + windowMs) [windowStart, inWindow] = [now, 0];
          const locked = limit.lockedFor('x', now);
          expect(locked > 0).toBe(inWindow >= maxFailures);
          if (locked === 0) {
            limit.recordFailure('x', now);
            inWindow += 1;
          }
        }
      }),
    );
  });
});
