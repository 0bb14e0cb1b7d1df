import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { MAX_CSV_RECORD_CHARS, parseCsvStream, readCsvRecords, type CsvRecord } from './csv-records';

const directory = mkdtempSync(join(tmpdir(), 'csv-records-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

let files = 0;
function csvFile(text: string): string {
  files += 1;
  const file = join(directory, `${files}.csv`);
  writeFileSync(file, text);
  return file;
}

async function collect(records: AsyncIterable<CsvRecord>): Promise<CsvRecord[]> {
  const all: CsvRecord[] = [];
  for await (const record of records) all.push(record);
  return all;
}

/** Text made of the pieces CSV parsing turns on: separators, quotes, both line breaks, a lone '\r', a byte-order mark. */
const csvText = fc.array(fc.constantFrom('a', 'bc', 'é', ' ', ',', ',', '"', '""', '"a"', '\n', '\n', '\r\n', '\r', '\uFEFF'), { maxLength: 60 }).map((pieces) => pieces.join(''));

/** csv-parse counts a '\r' as a line of its own in places (a lone one, or one inside a quoted cell): line numbers of text with any '\r' are left out. */
function comparable(text: string, records: CsvRecord[]): unknown[] {
  if (!text.includes('\r')) return records;
  return records.map((record) => ('unreadable' in record ? { unreadable: record.unreadable.replace(/line \d+/, 'line'), raw: record.raw } : { cells: record.cells }));
}

async function expectAsCsvParse(text: string): Promise<void> {
  const file = csvFile(text);
  expect(comparable(text, await collect(readCsvRecords(file)))).toEqual(comparable(text, await collect(parseCsvStream(file))));
}

describe('readCsvRecords', () => {
  it('reads any text exactly as csv-parse does: cells, unreadable records, their lines and raw text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('', '\uFEFF'), fc.constantFrom('h1,h2\n', 'h1,h2\r\n', '"h1","h2"\n', '"h1","h2"\r\n', 'h1\rh2\n', '"h\n1",h2\n', ''), csvText, async (bom, header, body) => {
        await expectAsCsvParse(bom + header + body);
      }),
      { numRuns: 500 },
    );
  });

  it('reads across chunk boundaries: large files of random lines, quoted cells spanning lines', async () => {
    const line = fc.array(fc.constantFrom('a', 'bc', 'é', ',', '"', '""', '"a"', '\n', '\r'), { maxLength: 12 }).map((pieces) => pieces.join(''));
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 50 }), fc.constantFrom('\n', '\r\n'), async (lines, lineBreak) => {
        const block = lines.join(lineBreak) + lineBreak;
        await expectAsCsvParse(`h1,h2${lineBreak}${block.repeat(Math.ceil(100_000 / block.length))}`);
      }),
      { numRuns: 6 },
    );
  });

  it('numbers records by line, skips empty lines, drops the byte-order mark, reads \\r\\n files and quoted cells', async () => {
    expect(await collect(readCsvRecords(csvFile('\uFEFFa,b\r\n1,"2"\r\n\r\n"3","x,y"\r\n4,5')))).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['1', '2'] },
      { line: 4, cells: ['3', 'x,y'] },
      { line: 5, cells: ['4', '5'] },
    ]);
    expect(await collect(readCsvRecords(csvFile('a,b\n"x\ny",1\n2,"a ""b"""\n')))).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['x\ny', '1'] },
      { line: 4, cells: ['2', 'a "b"'] },
    ]);
  });

  it('makes a quote that never closes unreadable on its own line once it spans more than the limit, and reads on', async () => {
    const filler = `${'x'.repeat(99)}\n`.repeat(Math.ceil(MAX_CSV_RECORD_CHARS / 100) + 10);
    const records = await collect(readCsvRecords(csvFile(`a,b\n1,2\n3,"open\n${filler}5,6\n`)));
    expect(records.slice(0, 3)).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['1', '2'] },
      { line: 3, unreadable: expect.stringContaining('Quote Not Closed within'), raw: '3,"open' },
    ]);
    expect(records[4]).toEqual({ line: 5, cells: ['x'.repeat(99)] });
    expect(records.at(-1)).toEqual({ line: records.length, cells: ['5', '6'] });
  });
});
