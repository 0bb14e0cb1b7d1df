import fc from 'fast-check';
import { tumbling, type LateRecord } from '../index';
import { anySpec, maxOutOfOrderness, readingStream } from '../testing/arbitraries';
import { createTestEngine, type Reading, type TestEngine, type TestResult } from '../testing/fixtures';

// 200 by default; raise for a soak run, e.g. PROPERTY_RUNS=20000 npx nx test windowing
const RUNS = { numRuns: Number(process.env['PROPERTY_RUNS'] ?? 200) };

/** What a bounded source sends last (the value of @pipeline/contracts' END_OF_INPUT). */
const END_OF_INPUT = Number.MAX_SAFE_INTEGER;
const PARTITIONS = 3;

type Record_ = { kind: 'event'; event: Reading } | { kind: 'heartbeat'; eventTime: number };

/**
 * The rule under test: a window's closing and an event's lateness depend only on its own
 * partition's record sequence. So for the same per-partition event sequences, the set of
 * final windows and the set of late events must be the same whatever the interleaving of
 * partitions, the batch boundaries and the (safe) heartbeats in between.
 */
describe('lateness is a function of each partition’s own input', () => {
  it('gives the same windows and the same late events for any interleaving, batching and safe heartbeats', () => {
    fc.assert(
      fc.property(
        fc.array(readingStream({ maxLength: 40 }), { minLength: PARTITIONS, maxLength: PARTITIONS }),
        anySpec,
        maxOutOfOrderness,
        fc.array(fc.record({ at: fc.nat({ max: 60 }), back: fc.nat({ max: 30 }) }), { maxLength: 40 }),
        fc.array(fc.nat({ max: PARTITIONS - 1 }), { maxLength: 200 }),
        fc.array(fc.boolean(), { maxLength: 200 }),
        fc.array(fc.nat({ max: PARTITIONS - 1 }), { minLength: PARTITIONS, maxLength: PARTITIONS }),
        (streams, spec, outOfOrderness, heartbeatDraws, picks, cutFlags, endOrder) => {
          const engine = (): TestEngine => createTestEngine(spec, { watermark: { maxOutOfOrderness: outOfOrderness } });
          // Keys and ids of their own per partition (a key lives on one partition).
          const inputs = streams.map((stream, partition) =>
            stream.map((reading) => ({ ...reading, id: partition * 1_000 + reading.id, key: `${partition}:${reading.key}` })),
          );
          const expected = alone(engine, inputs);

          const sequences = inputs.map((events, partition) =>
            withSafeHeartbeats(
              events,
              heartbeatDraws.filter((_, index) => index % PARTITIONS === partition),
            ),
          );
          const actual = interleaved(engine(), sequences, picks, cutFlags, endOrder);
          expect(canonical(actual)).toEqual(canonical(expected));
        },
      ),
      RUNS,
    );
  });

  it("does not let a partition far ahead make another partition's on-time events late (category-ordered replay)", () => {
    const engine = createTestEngine(tumbling(100), { watermark: { maxOutOfOrderness: 0 } });
    // books (partition 0) 0..99, then garden (partition 4) 0..99, each in time order.
    const books = Array.from({ length: 100 }, (_, index) => ({ id: index, key: 'books', time: index * 10, value: 1 }));
    const garden = Array.from({ length: 100 }, (_, index) => ({ id: 100 + index, key: 'garden', time: index * 10, value: 1 }));
    const late: LateRecord<Reading>[] = [];
    const results: TestResult[] = [];
    const take = (output: { results: TestResult[]; late: LateRecord<Reading>[] }) => {
      for (const result of output.results) results.push(result);
      for (const record of output.late) late.push(record);
    };
    take(engine.process(0, books));
    // Each partition only hears its own progress, here books' on books' partition.
    take(engine.advanceEventTime(0, 990));
    take(engine.process(4, garden));
    take(engine.advanceEventTime(4, 990));
    for (const partition of [0, 4]) take(engine.advanceEventTime(partition, END_OF_INPUT));
    expect(late).toEqual([]);
    expect(results.filter((result) => result.key === 'garden')).toHaveLength(10);
    expect(results.filter((result) => result.key === 'books')).toHaveLength(10);
  });
});

/** Each partition on its own engine call, one batch, then END_OF_INPUT: the reference. */
function alone(createEngine: () => TestEngine, inputs: readonly Reading[][]): Output {
  const output = emptyOutput();
  const engine = createEngine();
  inputs.forEach((events, partition) => {
    add(output, engine.process(partition, events));
    add(output, engine.advanceEventTime(partition, END_OF_INPUT));
  });
  return output;
}

/**
 * Inserts heartbeats that are safe at their position: at most the partition's highest event
 * time so far (its own progress) or at most every later event's time (a bound the source
 * keeps). Anything higher could make a later event late, which is the source's fault.
 */
function withSafeHeartbeats(events: readonly Reading[], draws: ReadonlyArray<{ at: number; back: number }>): Record_[] {
  const suffixMin: number[] = new Array<number>(events.length + 1).fill(Infinity);
  for (let index = events.length - 1; index >= 0; index--) suffixMin[index] = Math.min(events[index].time, suffixMin[index + 1]);
  const at = new Map<number, number[]>();
  for (const draw of draws) {
    const position = draw.at % (events.length + 1);
    const backs = at.get(position) ?? [];
    backs.push(draw.back);
    at.set(position, backs);
  }
  const sequence: Record_[] = [];
  let prefixMax = -Infinity;
  for (let index = 0; index <= events.length; index++) {
    for (const back of at.get(index) ?? []) {
      const safe = Math.max(prefixMax, suffixMin[index]);
      const eventTime = Number.isFinite(safe) ? safe - back : (Number.isFinite(prefixMax) ? prefixMax : 0) + back;
      sequence.push({ kind: 'heartbeat', eventTime });
    }
    if (index < events.length) {
      sequence.push({ kind: 'event', event: events[index] });
      prefixMax = Math.max(prefixMax, events[index].time);
    }
  }
  return sequence;
}

/** Partitions' records merged in a random order (each partition's order kept), random batch cuts, END_OF_INPUT in a random order. */
function interleaved(engine: TestEngine, sequences: readonly Record_[][], picks: readonly number[], cutFlags: readonly boolean[], endOrder: readonly number[]): Output {
  const output = emptyOutput();
  const positions = sequences.map(() => 0);
  let pick = 0;
  let cut = 0;
  for (;;) {
    const remaining = sequences.flatMap((sequence, partition) => (positions[partition] < sequence.length ? [partition] : []));
    if (remaining.length === 0) break;
    const wanted = picks[pick++ % Math.max(1, picks.length)] ?? 0;
    const partition = remaining.includes(wanted) ? wanted : remaining[0];
    const sequence = sequences[partition];
    const first = sequence[positions[partition]];
    if (first.kind === 'heartbeat') {
      add(output, engine.advanceEventTime(partition, first.eventTime));
      positions[partition] += 1;
      continue;
    }
    // A batch: this partition's next events up to a heartbeat or a random cut.
    const batch: Reading[] = [];
    for (let record = sequence[positions[partition]]; record?.kind === 'event'; record = sequence[positions[partition]]) {
      batch.push(record.event);
      positions[partition] += 1;
      if (cutFlags[cut++ % Math.max(1, cutFlags.length)] === true) break;
    }
    add(output, engine.process(partition, batch));
  }
  const ended = new Set<number>();
  for (const partition of [...endOrder, ...sequences.keys()]) {
    if (ended.has(partition)) continue;
    ended.add(partition);
    add(output, engine.advanceEventTime(partition, END_OF_INPUT));
  }
  return output;
}

interface Output {
  results: TestResult[];
  late: LateRecord<Reading>[];
}

function emptyOutput(): Output {
  return { results: [], late: [] };
}

function add(into: Output, output: Output): void {
  for (const result of output.results) into.results.push(result);
  for (const record of output.late) into.late.push(record);
}

/** Sets as sorted arrays; a late record without the watermark it met (that depends on the heartbeats seen, not on the input). */
function canonical(output: Output): { windows: string[]; late: string[] } {
  return {
    windows: output.results.map((result) => JSON.stringify([result.partition, result.key, result.windowStart, result.windowEnd, result.final, result.values])).sort(),
    late: output.late.map((record) => JSON.stringify([record.partition, record.event.id, record.windowStart, record.windowEnd, record.reason])).sort(),
  };
}
