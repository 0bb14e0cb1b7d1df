import { randomBytes } from 'node:crypto';
import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { fastDefaultPartitioner } from './partitioner';

/** The fast partitioner must place every record where kafkajs' DefaultPartitioner (the Java client's) does. */
describe('fastDefaultPartitioner', () => {
  const metadata = (count: number): PartitionerArgs['partitionMetadata'] =>
    Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));

  it('picks the same partition as kafkajs for string and binary keys of every length', () => {
    const ours = fastDefaultPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    // Long keys too (past the hash's scratch buffer, which then grows), with multi-byte and lone-surrogate text.
    const keys: Array<string | Buffer> = ['', 'a', 'ab', 'abc', 'abcd', 'sensor-42', 'Ünïcødé ключ 🔑', '21', 'é'.repeat(600), '🔑'.repeat(400), `x${'\ud800'.repeat(500)}`, 'k'.repeat(5000), 'short after long'];
    for (let length = 0; length < 70; length++) for (let n = 0; n < 10; n++) keys.push(randomBytes(length), randomBytes(length).toString('base64').slice(0, length));
    for (const count of [1, 3, 6, 7, 12, 100]) {
      for (const key of keys) {
        const args = { topic: 't', partitionMetadata: metadata(count), message: { key, value: null } };
        expect([key, ours(args)]).toEqual([key, theirs(args)]);
      }
    }
  });

  it('keeps an explicit partition, and spreads keyless records over partitions with a leader', () => {
    const partition = fastDefaultPartitioner();
    const partitionMetadata = metadata(4).map((entry) => (entry.partitionId === 2 ? { ...entry, leader: -1 } : entry));
    expect(partition({ topic: 't', partitionMetadata, message: { key: 'k', value: null, partition: 2 } })).toBe(2);
    const chosen = new Set(Array.from({ length: 30 }, () => partition({ topic: 't', partitionMetadata, message: { value: null } })));
    expect([...chosen].sort()).toEqual([0, 1, 3]);
  });
});
