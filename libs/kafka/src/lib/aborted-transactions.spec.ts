/**
 * kafkajs 2.2.4 filters aborted transactions out of read-committed fetches in
 * consumer/filterAbortedMessages.js, patched here (patches/kafkajs+2.2.4.patch, applied by
 * `npm install` through patch-package): upstream activates at most one aborted transaction per
 * record and trusts the broker to list them by first offset, which it does not (it lists them
 * as they ended). Both let aborted records through when transactions of different producers
 * overlap in a partition: a zombie's aborted outputs read as committed. This pins the patch.
 */
interface FetchedRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly isControlRecord?: boolean;
  readonly batchContext: { readonly producerId: string; readonly inTransaction: boolean };
}
type FilterAborted = (input: { messages: FetchedRecord[]; abortedTransactions: Array<{ firstOffset: string; producerId: string }> }) => FetchedRecord[];

// Internal module of kafkajs (no typings): the function the consumer's Batch calls.
const filterAbortedMessages: FilterAborted = require('kafkajs/src/consumer/filterAbortedMessages');

const ABORT_MARKER = Buffer.from([0, 0, 0, 0]);
const record = (offset: number, producerId: string, inTransaction = true): FetchedRecord => ({ offset: String(offset), key: Buffer.from(`k${offset}`), batchContext: { producerId, inTransaction } });
const abortMarker = (offset: number, producerId: string): FetchedRecord => ({ offset: String(offset), key: ABORT_MARKER, isControlRecord: true, batchContext: { producerId, inTransaction: true } });
const offsetsOf = (records: FetchedRecord[]) => records.filter((entry) => !entry.isControlRecord).map((entry) => Number(entry.offset));

describe('read-committed filtering of aborted transactions (patched kafkajs)', () => {
  // Producers A and B both abort; C commits. Offsets: a0 b1 a2 b3 c4, then B's and A's markers.
  const partition = [record(0, 'A'), record(1, 'B'), record(2, 'A'), record(3, 'B'), record(4, 'C', false), abortMarker(5, 'B'), abortMarker(6, 'A'), record(7, 'B', false)];
  const aborted = [
    { firstOffset: '1', producerId: 'B' }, // listed first: it ended first
    { firstOffset: '0', producerId: 'A' },
  ];

  it('drops every aborted record when the broker lists the transactions in the order they ended', () => {
    expect(offsetsOf(filterAbortedMessages({ messages: partition, abortedTransactions: aborted }))).toEqual([4, 7]);
  });

  it('drops them when the fetch starts inside two overlapping aborted transactions', () => {
    for (let start = 0; start < partition.length; start += 1) {
      const fetched = partition.slice(start);
      expect(offsetsOf(filterAbortedMessages({ messages: fetched, abortedTransactions: aborted }))).toEqual([4, 7].filter((offset) => offset >= start));
    }
  });
});
