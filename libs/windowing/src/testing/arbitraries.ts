import fc from 'fast-check';
import { hopping, session, tumbling, type WindowSpec } from '../index';
import type { CrashPlan, Step } from './drivers';
import type { Reading } from './fixtures';

/**
 * Streams that drift forward with jitter either side, so events arrive out of order by a
 * few windows at most: a mix of on-time, reordered and late events. Some events are
 * repeated verbatim (at-least-once delivery).
 */
export function readingStream(
  options: { maxLength?: number; keys?: readonly string[] } = {},
): fc.Arbitrary<Reading[]> {
  const keys = options.keys ?? ['a', 'b', 'c'];
  const entry = fc.record({
    key: fc.constantFrom(...keys),
    advance: fc.nat({ max: 6 }),
    jitter: fc.integer({ min: -25, max: 25 }),
    value: fc.integer({ min: -20, max: 20 }),
    repeat: fc.nat({ max: 9 }),
  });
  return fc
    .array(entry, { maxLength: options.maxLength ?? 80 })
    .map((entries) => {
      const readings: Reading[] = [];
      let base = 1_000;
      entries.forEach((item, index) => {
        base += item.advance;
        const current: Reading = {
          id: index + 1,
          key: item.key,
          time: base + item.jitter,
          value: item.value,
        };
        readings.push(current);
        if (item.repeat === 0) readings.push(current);
      });
      return readings;
    });
}

export const maxOutOfOrderness: fc.Arbitrary<number> = fc.nat({ max: 15 });

const grace = fc.nat({ max: 20 });

export const tumblingSpec: fc.Arbitrary<WindowSpec> = fc
  .record({
    size: fc.integer({ min: 1, max: 40 }),
    offset: fc.nat({ max: 40 }),
    grace,
  })
  .map(({ size, offset, grace: lateness }) =>
    tumbling(size).offset(offset).grace(lateness),
  );

export const hoppingSpec: fc.Arbitrary<WindowSpec> = fc
  .record({
    size: fc.integer({ min: 2, max: 40 }),
    advanceShare: fc.double({ min: 0, max: 1, noNaN: true }),
    offset: fc.nat({ max: 40 }),
    grace,
  })
  .map(({ size, advanceShare, offset, grace: lateness }) =>
    hopping(size, Math.max(1, Math.round(size * advanceShare)))
      .offset(offset)
      .grace(lateness),
  );

export const sessionSpec: fc.Arbitrary<WindowSpec> = fc
  .record({ gap: fc.integer({ min: 1, max: 30 }), grace })
  .map(({ gap, grace: lateness }) => session(gap).grace(lateness));

export const anySpec: fc.Arbitrary<WindowSpec> = fc.oneof(
  tumblingSpec,
  hoppingSpec,
  sessionSpec,
);

/** Batch boundaries as positions in the stream. */
export const cuts: fc.Arbitrary<number[]> = fc.array(fc.nat({ max: 120 }), {
  maxLength: 20,
});

export const crashPlan: fc.Arbitrary<CrashPlan> = fc.record({
  checkpointBefore: fc.array(fc.nat({ max: 25 }), { maxLength: 4 }),
  crashAfter: fc.array(fc.nat({ max: 25 }), { maxLength: 3 }),
});

/** Several partitions fed in an interleaved order, event time drifting forward. */
export function multiPartitionSteps(
  partitionCount: number,
): fc.Arbitrary<Step[]> {
  const step = fc.record({
    partition: fc.nat({ max: partitionCount - 1 }),
    events: readingStream({ maxLength: 8 }),
    timeShift: fc.nat({ max: 40 }),
  });
  return fc.array(step, { maxLength: 25 }).map((drafts) => {
    let eventTimeBase = 0;
    let nextId = 1;
    return drafts.map((draft) => {
      eventTimeBase += draft.timeShift;
      const events = draft.events.map((event) => ({
        ...event,
        id: nextId++,
        time: event.time + eventTimeBase,
      }));
      return { partition: draft.partition, events };
    });
  });
}
