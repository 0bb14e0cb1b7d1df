import { clickEvent, sensorReading, type TextRow } from '@pipeline/contracts';
import fc from 'fast-check';
import { admitParsed } from '../source';
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

describe('CSV layout: the quick path from cells', () => {
  /** The row parseText reads, built from the header's names here (dotted names nest): the reference the quick path must match. */
  function textRow(fields: object, names: readonly string[], row: readonly string[], timeColumn: string | undefined, injected: number | undefined): TextRow {
    const text: TextRow = {};
    names.forEach((name, column) => {
      const target = name === timeColumn ? 'timestamp' : name;
      const [field = '', subField] = target.split('.');
      // Columns the contract does not know are not in the row (the layout ignores them).
      if (!(field in fields)) return;
      if (subField === undefined) text[field] = row[column];
      else ((text[field] as TextRow | undefined) ??= {})[subField] = row[column];
    });
    if (injected !== undefined) text['timestamp'] = String(injected);
    return text;
  }

  // Cells that pass, and cells each field's quick path or zod refuses (blank, spaced, out of range, not a number, too long).
  const cell = fc.oneof(
    fc.constantFrom('', ' ', '0', '-1', '12', ' 12 ', '1e3', '0x10', 'NaN', '19.99', '91', '1700000000000', '2024-03-01T10:00:00Z', '2024-02-30T00:00:00Z', 'purchase', 'books', 'x'.repeat(200), 'page_view'),
    fc.string({ maxLength: 8 }),
    fc.double({ noNaN: true }).map(String),
  );

  it('admits and refuses every row exactly as parseText on its text row does (ClickEvent, event time from a column)', () => {
    const layout = new CsvLayout(clickEvent, header, { kind: 'column', column: 'ts' }, 'clicks.csv');
    fc.assert(
      fc.property(fc.array(cell, { minLength: header.length, maxLength: header.length }), fc.boolean(), (row, valid) => {
        const input = valid ? cells.map((value, column) => (column === 3 ? row[3] ?? value : value)) : row;
        const expectedAdmission = admitParsed(() => clickEvent.parseText(textRow(clickEvent.fields, header, input, 'ts', undefined)), () => layout.rawRow(input));
        expect(layout.admit(input, undefined, 0)).toEqual(expectedAdmission);
      }),
      { numRuns: 3000 },
    );
  });

  it('does the same for a nested record and an injected event time (SensorReading)', () => {
    const names = ['sensorId', 'temperature', 'humidity', 'pressure', 'location.latitude', 'location.longitude', 'batteryLevel'];
    const layout = new CsvLayout(sensorReading, names, { kind: 'synthetic', start: 0, spacingMs: 1 }, 'sensors.csv');
    const good = ['sensor-7', '21.5', '40', '1013.2', '52.5', '13.4', '0.8'];
    fc.assert(
      fc.property(fc.array(cell, { minLength: names.length, maxLength: names.length }), fc.integer({ min: 0, max: names.length }), fc.integer({ min: -1, max: 2 ** 45 }), (row, keep, time) => {
        // Some cells of a good row replaced, so accepted rows are common too.
        const input = good.map((value, column) => (column < keep ? value : row[column] ?? value));
        const expectedAdmission = admitParsed(() => sensorReading.parseText(textRow(sensorReading.fields, names, input, undefined, time)), () => layout.rawRow(input));
        expect(layout.admit(input, time, 0)).toEqual(expectedAdmission);
      }),
      { numRuns: 3000 },
    );
  });
});
