import { QueryFailedError } from 'typeorm';
import { ContractViolationError, HEADERS } from '@pipeline/contracts';
import { AvroDecodeError } from '@pipeline/kafka';
import { addBatch, databaseRefusal, deadLetterMessage, emptyCounters, offsetAfter, rejectionReason, type CommittedBatch } from './sink-records';

describe('offsetAfter', () => {
  it('is the next offset, exact beyond 2^53', () => {
    expect(offsetAfter('0')).toBe('1');
    expect(offsetAfter('9007199254740993')).toBe('9007199254740994');
  });
});

describe('rejectionReason', () => {
  it('dead-letters undecodable bytes', () => {
    expect(rejectionReason(new AvroDecodeError('t-value', 'writer schema id 7 is not in the registry'))).toBe(
      'cannot decode a record of t-value: writer schema id 7 is not in the registry',
    );
  });

  it('dead-letters contract violations', () => {
    expect(rejectionReason(new ContractViolationError('SensorWindowStats', ['readingCount Too small']))).toBe('breaks contract SensorWindowStats: readingCount Too small');
  });

  it('retries anything else (registry or network down)', () => {
    expect(rejectionReason(new Error('connect ECONNREFUSED'))).toBeUndefined();
  });
});

describe('databaseRefusal', () => {
  const failure = (code: string, message: string) => new QueryFailedError('INSERT …', [], Object.assign(new Error(message), { code }));

  it.each([
    ['22003', 'numeric field overflow'],
    ['23502', 'null value in column "x" violates not-null constraint'],
  ])('dead-letters a row the database refuses for its values (SQLSTATE %s)', (code, message) => {
    expect(databaseRefusal(failure(code, message))).toBe(`refused by the database (SQLSTATE ${code}): ${message}`);
  });

  it.each([
    ['08006', 'connection failure'],
    ['57P01', 'terminating connection due to administrator command'],
    ['40001', 'could not serialize access'],
  ])('retries anything else (SQLSTATE %s)', (code, message) => {
    expect(databaseRefusal(failure(code, message))).toBeUndefined();
  });

  it('retries errors that are not query failures', () => {
    expect(databaseRefusal(new Error('Connection terminated unexpectedly'))).toBeUndefined();
  });
});

describe('deadLetterMessage', () => {
  it('keeps the original bytes and headers and adds reason, contract and source position', () => {
    const message = deadLetterMessage(
      { topic: 'iot.sensor-alerts', partition: 2, offset: '41', key: Buffer.from('k'), value: Buffer.from([1, 2]), headers: { trace: 'abc' } },
      'bad bytes',
      'SensorAlert',
    );
    expect(message).toEqual({
      key: Buffer.from('k'),
      value: Buffer.from([1, 2]),
      headers: {
        trace: 'abc',
        [HEADERS.reason]: 'bad bytes',
        [HEADERS.contract]: 'SensorAlert',
        [HEADERS.sourceTopic]: 'iot.sensor-alerts',
        [HEADERS.sourcePartition]: '2',
        [HEADERS.sourceOffset]: '41',
      },
    });
  });
});

describe('counters', () => {
  it('add committed batches up per table', () => {
    const counters = emptyCounters(['a', 'b']);
    const batch: CommittedBatch = { topic: 't', partition: 0, committedOffset: '3', records: 3, rowsUpserted: { a: 2 }, deadLettered: 1, emptyRecords: 0, durationMs: 5 };
    addBatch(counters, batch);
    addBatch(counters, { ...batch, rowsUpserted: { a: 1 }, deadLettered: 0, emptyRecords: 2 });
    expect(counters).toEqual({ batches: 2, records: 6, rowsUpserted: { a: 3, b: 0 }, deadLettered: 1, emptyRecords: 2 });
  });
});
