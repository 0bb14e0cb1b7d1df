import { END_OF_INPUT, heartbeatEventTime } from '@pipeline/contracts';
import { InvalidDisorderBoundError, murmur2, PartitionMaxima, PartitionProgress, partitionOfKey } from './partition-progress';

function maxima(entries: Array<[partition: number, eventTime: number]>): PartitionMaxima {
  const result = new PartitionMaxima();
  for (const [partition, eventTime] of entries) result.note(partition, eventTime);
  return result;
}

/** partition → heartbeat time of one round. */
function times(messages: ReturnType<PartitionProgress['heartbeats']>): Record<number, number | undefined> {
  return Object.fromEntries(messages.map((message) => [message.partition, heartbeatEventTime(message.headers)]));
}

describe('partitionOfKey', () => {
  it("is murmur2 as Kafka's Java client computes it (its own test vectors)", () => {
    const hash = (text: string) => murmur2(Buffer.from(text));
    expect(hash('21')).toBe(-973932308);
    expect(hash('foobar')).toBe(-790332482);
    expect(hash('a-little-bit-long-string')).toBe(-985981536);
    expect(hash('a-little-bit-longer-string')).toBe(-1486304829);
    expect(hash('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')).toBe(-58897971);
    expect(hash('abc')).toBe(479470107);
  });

  it('puts keys where the default partitioner does (clickstream categories on 6 partitions)', () => {
    expect(partitionOfKey('books', 6)).toBe(0);
    expect(partitionOfKey('garden', 6)).toBe(4);
    expect(partitionOfKey(Buffer.from('garden'), 6)).toBe(4);
  });
});

describe('PartitionProgress without a disorder bound', () => {
  it('counts the records of the same write as acknowledged for heartbeats riding with them, without acknowledging them', () => {
    const progress = new PartitionProgress({ partitions: 3, maxDisorderMs: 100 });
    progress.acknowledge(maxima([[0, 1_000]]));
    expect(times(progress.heartbeats(maxima([[1, 5_000]])))).toEqual({ 0: 4_900, 1: 5_000, 2: 4_900 });
    expect(times(progress.heartbeats())).toEqual({ 0: 1_000, 1: 900, 2: 900 });
  });

  it("tells each partition only its own acknowledged progress, never another partition's", () => {
    const progress = new PartitionProgress({ partitions: 6 });
    expect(progress.heartbeats()).toEqual([]);
    // books (partition 0) replayed first, far ahead of garden (partition 4), which has sent nothing yet.
    progress.acknowledge(maxima([[0, 600_000], [0, 10_000]]));
    expect(times(progress.heartbeats())).toEqual({ 0: 600_000 });
    progress.acknowledge(maxima([[4, 5_000]]));
    expect(times(progress.heartbeats())).toEqual({ 0: 600_000, 4: 5_000 });
    // Never backwards.
    progress.acknowledge(maxima([[4, 1_000]]));
    expect(progress.watermarkOf(4)).toBe(5_000);
  });

  it('admits every event (no bound to enforce)', () => {
    const progress = new PartitionProgress({ partitions: 2 });
    expect(progress.admit(1_000_000)).toBeUndefined();
    expect(progress.admit(0)).toBeUndefined();
  });

  it('closes with each partition’s progress, then END_OF_INPUT on every partition when the source ran out', () => {
    const progress = new PartitionProgress({ partitions: 3 });
    progress.acknowledge(maxima([[1, 7_000]]));
    const rounds = progress.closingRounds(true).map(times);
    expect(rounds).toEqual([{ 1: 7_000 }, { 0: END_OF_INPUT, 1: END_OF_INPUT, 2: END_OF_INPUT }]);
    expect(progress.closingRounds(false).map(times)).toEqual([{ 1: 7_000 }]);
    // Nothing valid was sent: nothing to announce, but END_OF_INPUT still closes every window.
    expect(new PartitionProgress({ partitions: 2 }).closingRounds(true).map(times)).toEqual([{ 0: END_OF_INPUT, 1: END_OF_INPUT }]);
    expect(new PartitionProgress({ partitions: 2 }).closingRounds(false)).toEqual([]);
  });
});

describe('PartitionProgress with a declared disorder bound', () => {
  it('refuses, with a reason, an event older than the source maximum minus the bound; the boundary itself is in', () => {
    const progress = new PartitionProgress({ partitions: 6, maxDisorderMs: 60_000 });
    expect(progress.admit(600_000)).toBeUndefined();
    expect(progress.admit(540_000)).toBeUndefined();
    expect(progress.admit(539_999)).toMatch(/60001 ms behind the source's highest event time .* beyond its declared maxDisorder of 60000 ms/);
    // A refused event does not move the source maximum.
    expect(progress.admit(700_000)).toBeUndefined();
    expect(progress.admit(640_000)).toBeUndefined();
  });

  it('gives every partition the acknowledged source maximum minus the bound, or its own progress when higher', () => {
    const progress = new PartitionProgress({ partitions: 3, maxDisorderMs: 60_000 });
    progress.admit(600_000);
    // Admitted but not acknowledged: nothing is claimed yet.
    expect(progress.heartbeats()).toEqual([]);
    progress.acknowledge(maxima([[0, 600_000], [2, 590_000]]));
    expect(times(progress.heartbeats())).toEqual({ 0: 600_000, 1: 540_000, 2: 590_000 });
  });

  it('never claims a time a later admitted event could be below', () => {
    const progress = new PartitionProgress({ partitions: 2, maxDisorderMs: 1_000 });
    expect(progress.admit(10_000)).toBeUndefined();
    progress.acknowledge(maxima([[0, 10_000]]));
    // Partition 1 has no data of its own: it hears 9,000, so nothing below 9,000 may follow.
    expect(progress.watermarkOf(1)).toBe(9_000);
    expect(progress.admit(8_999)).toBeDefined();
    expect(progress.admit(9_000)).toBeUndefined();
  });

  it('rejects a bound that is not a finite non-negative number', () => {
    expect(() => new PartitionProgress({ partitions: 1, maxDisorderMs: -1 })).toThrow(InvalidDisorderBoundError);
    expect(() => new PartitionProgress({ partitions: 1, maxDisorderMs: Number.NaN })).toThrow(InvalidDisorderBoundError);
    expect(() => new PartitionProgress({ partitions: 0 })).toThrow(RangeError);
  });
});
