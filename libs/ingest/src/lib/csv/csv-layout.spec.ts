import { clickEvent, sensorReading } from '@pipeline/contracts';
import { CsvHeaderError, CsvLayout } from './csv-layout';

const header = ['eventId', 'sessionId', 'customerId', 'eventType', 'productId', 'category', 'price', 'ts', 'referrer'];
const cells = ['e-1', 's-1', 'c-1', 'purchase', 'P-0001', 'books', '19.99', '2024-03-01T10:00:00Z', 'newsletter'];
const expected = {
  eventId: 'e-1',
  sessionId: 's-1',
  customerId: 'c-1',
  eventType: 'purchase',
  productId: 'P-0001',
  category: 'books',
  price: 19.99,
  timestamp: Date.parse('2024-03-01T10:00:00Z'),
};

describe('CSV layout: header → contract', () => {
  const layout = new CsvLayout(clickEvent, header, { kind: 'column', column: 'ts' }, 'clicks.csv');

  it('takes event time from the named column and ignores columns the contract does not know', () => {
    expect(layout.admit(cells, undefined, 0)).toEqual({ accepted: true, value: expected });
    expect(layout.ignoredColumns).toEqual(['referrer']);
  });

  it('fails fast on a header that misses contract fields or the event-time column, naming them all', () => {
    const withoutCategory = header.filter((name) => name !== 'category' && name !== 'price');
    expect(() => new CsvLayout(clickEvent, withoutCategory, { kind: 'column', column: 'ts' }, 'clicks.csv')).toThrow(
      'CSV header of clicks.csv: misses the columns "category", "price" of ClickEvent',
    );
    expect(() => new CsvLayout(clickEvent, header, { kind: 'column', column: 'timestamp' }, 'clicks.csv')).toThrow(CsvHeaderError);
    expect(() => new CsvLayout(clickEvent, header, { kind: 'column', column: 'timestamp' }, 'clicks.csv')).toThrow('has no event-time column "timestamp"');
  });

  it('needs no time column when the time is injected, and an injected time wins over one in the file', () => {
    const withoutTime = header.filter((name) => name !== 'ts');
    const injected = new CsvLayout(clickEvent, withoutTime, { kind: 'now' }, 'clicks.csv');
    expect(injected.admit(cells.filter((_, index) => index !== 7), 1_700_000_000_000, 0)).toEqual({ accepted: true, value: { ...expected, timestamp: 1_700_000_000_000 } });
    const overriding = new CsvLayout(clickEvent, [...withoutTime, 'timestamp'], { kind: 'synthetic', start: 0, spacingMs: 1 }, 'clicks.csv');
    expect(overriding.ignoredColumns).toContain('timestamp');
  });

  it('fills a nested record from dotted columns', () => {
    const sensorHeader = ['sensorId', 'timestamp', 'temperature', 'humidity', 'pressure', 'location.latitude', 'location.longitude', 'batteryLevel'];
    const sensors = new CsvLayout(sensorReading, sensorHeader, { kind: 'column', column: 'timestamp' }, 'sensors.csv');
    expect(sensors.admit(['sensor-7', '1700000000000', '21.5', '40', '1013.2', '52.5', '13.4', '0.8'], undefined, 0)).toEqual({
      accepted: true,
      value: { sensorId: 'sensor-7', timestamp: 1_700_000_000_000, temperature: 21.5, humidity: 40, pressure: 1013.2, location: { latitude: 52.5, longitude: 13.4 }, batteryLevel: 0.8 },
    });
    expect(() => new CsvLayout(sensorReading, sensorHeader.slice(0, 6).concat('batteryLevel'), { kind: 'column', column: 'timestamp' }, 'sensors.csv')).toThrow(
      'misses the column "location.longitude"',
    );
  });
});

describe('CSV row → value or dead letter', () => {
  const layout = new CsvLayout(clickEvent, header, { kind: 'column', column: 'ts' }, 'clicks.csv');
  const rowWith = (column: string, cell: string) => cells.map((value, index) => (header[index] === column ? cell : value));
  const raw = (row: string[]) => Object.fromEntries(header.map((name, index) => [name, row[index]]));

  it.each([
    ['price', '-3', 'ClickEvent: price must be at least 0'],
    ['price', '12EUR', 'ClickEvent: price is not a number'],
    ['eventType', 'teleport', 'ClickEvent: eventType'],
    ['ts', 'yesterday', 'ClickEvent: timestamp is not epoch millis or an ISO-8601 timestamp with a zone'],
    ['sessionId', ' ', 'ClickEvent: sessionId is empty'],
  ])('rejects %s = "%s" with the contract reason and the raw row (column → cell)', (column, cell, reason) => {
    const admission = layout.admit(rowWith(column, cell), undefined, 0);
    expect(admission).toEqual({ accepted: false, reason: expect.stringContaining(reason), raw: raw(rowWith(column, cell)) });
  });

  it('rejects a row whose cell count differs from the header, keeping its cells', () => {
    expect(layout.admit(cells.slice(0, 5), undefined, 0)).toEqual({ accepted: false, reason: 'has 5 cells, the header has 9', raw: cells.slice(0, 5) });
  });

  it('shifts a column event time by the loop offset', () => {
    expect(layout.admit(cells, undefined, 60_000)).toEqual({ accepted: true, value: { ...expected, timestamp: expected.timestamp + 60_000 } });
  });
});
