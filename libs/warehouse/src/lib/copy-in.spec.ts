import type { TableColumn } from '@pipeline/contracts';
import { copyText, copyTextValue } from './copy-in';

describe('COPY text format', () => {
  it('writes null as \\N and escapes backslash, tab and line breaks', () => {
    expect(copyTextValue('text', null)).toBe('\\N');
    expect(copyTextValue('text', 'a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(copyTextValue('text', 'plain "quoted", ünïcode')).toBe('plain "quoted", ünïcode');
  });

  it('converts values as the upsert does: epoch millis to ISO-8601, records to JSON', () => {
    expect(copyTextValue('timestamptz', 0)).toBe('1970-01-01T00:00:00.000Z');
    expect(copyTextValue('jsonb', { latitude: 52.5, note: 'a\tb' })).toBe('{"latitude":52.5,"note":"a\\\\tb"}');
    expect(copyTextValue('numeric(20,6)', 21.123456)).toBe('21.123456');
    expect(copyTextValue('bigint', 9007199254740991)).toBe('9007199254740991');
  });

  it('writes one tab-separated line per row, columns in the given order', () => {
    const columns: TableColumn[] = [
      { field: 'id', column: 'id', sql: 'text', nullable: false },
      { field: 'at', column: 'at', sql: 'timestamptz', nullable: false },
      { field: 'share', column: 'share', sql: 'double precision', nullable: true },
    ];
    const text = copyText(columns, [
      { share: 0.5, at: 1000, id: 'a' },
      { id: 'b\tc', at: 2000, share: null },
    ]).toString('utf8');
    expect(text).toBe('a\t1970-01-01T00:00:01.000Z\t0.5\nb\\tc\t1970-01-01T00:00:02.000Z\t\\N\n');
    expect(copyText(columns, []).length).toBe(0);
  });
});
