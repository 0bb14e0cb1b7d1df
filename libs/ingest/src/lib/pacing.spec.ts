import { createPaceSchedule, DEFAULT_BATCHES_PACE, formatPace, parsePace, PaceSyntaxError, type Pace } from './pacing';

/** The due times of the first n records (pure: nothing sleeps). */
function plan(pace: Pace, eventTimes: Array<number | undefined>, startedAt = 1_000, seed = 1): number[] {
  const schedule = createPaceSchedule(pace, startedAt, seed);
  return eventTimes.map((eventTime) => schedule.next(eventTime));
}

describe('pace syntax', () => {
  it.each<[string, Pace]>([
    ['asap', { kind: 'asap' }],
    ['rate:250', { kind: 'rate', perSecond: 250 }],
    ['rate:0.5', { kind: 'rate', perSecond: 0.5 }],
    ['replay:10', { kind: 'replay', speed: 10 }],
    ['batches:500-1000/5s', { kind: 'batches', min: 500, max: 1000, intervalMs: 5000 }],
    ['batches:10-20/0.5s', { kind: 'batches', min: 10, max: 20, intervalMs: 500 }],
    ['batches', DEFAULT_BATCHES_PACE],
  ])('parses "%s"', (text, pace) => {
    expect(parsePace(text)).toEqual(pace);
    expect(parsePace(formatPace(pace))).toEqual(pace);
  });

  it.each([
    ['fast', 'is not a known pace'],
    ['rate:', 'needs a positive rate, got ""'],
    ['rate:-3', 'needs a positive rate'],
    ['replay:x', 'needs a positive speed factor'],
    ['asap:1', 'takes no argument'],
    ['batches:10-5/5s', 'needs 1 <= min <= max'],
    ['batches:10-20/5m', 'unknown form'],
  ])('rejects "%s" (%s)', (text, problem) => {
    expect(() => parsePace(text)).toThrow(PaceSyntaxError);
    expect(() => parsePace(text)).toThrow(problem);
  });
});

describe('pace schedules', () => {
  it('asap: every record is due at once', () => {
    expect(plan({ kind: 'asap' }, [5, undefined, 1])).toEqual([1_000, 1_000, 1_000]);
  });

  it('rate: records are evenly spaced in processing time, whatever their event times', () => {
    expect(plan({ kind: 'rate', perSecond: 4 }, [0, 99_999, undefined, 3])).toEqual([1_000, 1_250, 1_500, 1_750]);
  });

  it('replay: event-time gaps divided by the speed factor, measured from the first record', () => {
    expect(plan({ kind: 'replay', speed: 2 }, [10_000, 10_000, 12_000, 16_000])).toEqual([1_000, 1_000, 2_000, 4_000]);
  });

  it('replay: an out-of-order record is due in the past (sent at once, in file order); one without event time goes with its predecessor', () => {
    expect(plan({ kind: 'replay', speed: 1 }, [10_000, 14_000, 11_000, undefined])).toEqual([1_000, 5_000, 2_000, 2_000]);
  });

  describe('batches (the clickstream article: 500-1000 records every 5 s)', () => {
    const pace = { kind: 'batches', min: 500, max: 1000, intervalMs: 5000 } as const;
    const due = plan(pace, Array.from({ length: 10_000 }, () => undefined), 0, 42);
    const batches = new Map<number, number[]>();
    for (const time of due) {
      const interval = Math.floor(time / pace.intervalMs);
      batches.set(interval, [...(batches.get(interval) ?? []), time]);
    }

    it('cuts the stream into batches of min..max records, one per interval', () => {
      const sizes = [...batches.values()].map((batch) => batch.length);
      // The last batch is cut short by the end of the plan.
      for (const size of sizes.slice(0, -1)) expect(size).toBeGreaterThanOrEqual(500);
      for (const size of sizes) expect(size).toBeLessThanOrEqual(1000);
      expect(new Set(sizes.slice(0, -1)).size).toBeGreaterThan(1);
      expect([...batches.keys()]).toEqual(Array.from({ length: batches.size }, (_, index) => index));
    });

    it('spreads each batch evenly over its interval instead of sending it as a spike', () => {
      const first = batches.get(0) ?? [];
      const gap = pace.intervalMs / first.length;
      first.forEach((time, index) => expect(time).toBe(Math.floor(index * gap)));
      expect(Math.max(...first)).toBeGreaterThan(pace.intervalMs - 2 * gap);
    });

    it('draws the same batch sizes from the same seed', () => {
      expect(plan(pace, Array.from({ length: 5_000 }, () => undefined), 0, 42)).toEqual(due.slice(0, 5_000));
      expect(plan(pace, Array.from({ length: 5_000 }, () => undefined), 0, 43)).not.toEqual(due.slice(0, 5_000));
    });
  });
});
