import { addBatch, emptyCounters, type CommittedBatch } from './sink-records';

describe('counters', () => {
  it('add committed batches up per table', () => {
    const counters = emptyCounters(['a', 'b']);
    const batch: CommittedBatch = { topic: 't', partition: 0, committedOffset: '3', records: 3, rowsUpserted: { a: 2 }, deadLettered: 1, emptyRecords: 0, durationMs: 5 };
    addBatch(counters, batch);
    addBatch(counters, { ...batch, rowsUpserted: { a: 1 }, deadLettered: 0, emptyRecords: 2 });
    expect(counters).toEqual({ batches: 2, records: 6, rowsUpserted: { a: 3, b: 0 }, deadLettered: 1, emptyRecords: 2 });
  });
});
