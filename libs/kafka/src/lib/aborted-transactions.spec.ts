import { installedAbortedRecordsFilter, leaksAbortedRecords, type AbortedRecordsFilter, type FetchedRecord } from './read-committed-filter';

/**
 * kafkajs' read-committed filter, as patched (patches/kafkajs+2.2.4.patch; see read-committed-filter.ts),
 * and the start-up check that refuses an unpatched install.
 */
const filterAbortedMessages = installedAbortedRecordsFilter();

const ABORT_MARKER = Buffer.from([0, 0, 0, 0]);
const record = (offset: number, producerId: string, inTransaction = true): FetchedRecord => ({ offset: String(offset), key: Buffer.from(`k${offset}`), batchContext: { producerId, inTransaction } });
const abortMarker = (offset: number, producerId: string): FetchedRecord => ({ offset: String(offset), key: ABORT_MARKER, isControlRecord: true, batchContext: { producerId, inTransaction: true } });
const offsetsOf = (records: FetchedRecord[]) => records.filter((entry) => !entry.isControlRecord).map((entry) => Number(entry.offset));

/** kafkajs 2.2.4's filter as published (before the patch), restated to prove the check catches it. */
const upstreamFilter: AbortedRecordsFilter = ({ messages, abortedTransactions }) => {
  const active = new Set<string>();
  const remaining = [...abortedTransactions];
  return messages.filter((message) => {
    const next = remaining[0];
    if (next && BigInt(message.offset) >= BigInt(next.firstOffset)) active.add(remaining.shift()?.producerId ?? '');
    const { producerId, inTransaction } = message.batchContext;
    if (message.key?.equals(ABORT_MARKER)) active.delete(producerId);
    else if (active.has(producerId) && inTransaction) return false;
    return true;
  });
};

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

  it('has a start-up check that passes the installed filter and catches the unpatched one', () => {
    expect(leaksAbortedRecords(filterAbortedMessages)).toBe(false);
    expect(leaksAbortedRecords(upstreamFilter)).toBe(true);
  });
});
