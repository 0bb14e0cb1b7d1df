import { deadLetterRecord } from './dead-letter';
import { HEADERS } from './pipeline-topics';

describe('deadLetterRecord', () => {
  it('keeps the original bytes and headers and adds reason, class, source and position', () => {
    const message = deadLetterRecord(
      {
        reason: 'refused by the database (SQLSTATE 54000): index row too large',
        reasonClass: 'database-refused',
        source: 'warehouse-sink',
        contract: 'SensorWindowStats',
        origin: { topic: 'iot.sensor-window-stats', partition: 2, offset: '41' },
        key: Buffer.from('k'),
        value: Buffer.from([1, 2]),
        headers: { trace: 'abc' },
      },
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(message).toEqual({
      key: Buffer.from('k'),
      value: Buffer.from([1, 2]),
      headers: {
        trace: 'abc',
        [HEADERS.reason]: 'refused by the database (SQLSTATE 54000): index row too large',
        [HEADERS.reasonClass]: 'database-refused',
        [HEADERS.source]: 'warehouse-sink',
        [HEADERS.failedAt]: '2026-01-01T00:00:00.000Z',
        [HEADERS.contract]: 'SensorWindowStats',
        [HEADERS.sourceTopic]: 'iot.sensor-window-stats',
        [HEADERS.sourcePartition]: '2',
        [HEADERS.sourceOffset]: '41',
      },
    });
  });
});
