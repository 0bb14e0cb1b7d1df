import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { parse } from 'csv-parse';

/** One record of a CSV file: its cells, or why csv-parse could not read it. `line` is 1-based, where the record starts. */
export type CsvRecord = { line: number; cells: string[]; raw: string } | { line: number; unreadable: string; raw: string | undefined };

export class CsvSourceError extends Error {
  constructor(
    readonly file: string,
    reason: string,
    options?: { cause: unknown },
  ) {
    super(`CSV source ${file}: ${reason}`, options);
    this.name = 'CsvSourceError';
  }
}

/** csv-parse reports the line a record ends on; a quoted cell may span lines, and raw text starts with the empty lines skipped before it. */
function firstLineOf(lastLine: number, raw: string | undefined): number {
  if (!raw) return lastLine;
  let start = 0;
  while (raw[start] === '\n' || raw[start] === '\r') start += 1;
  let inner = 0;
  for (let at = raw.indexOf('\n', start); at >= 0 && at < raw.length - 1; at = raw.indexOf('\n', at + 1)) inner += 1;
  return lastLine - inner;
}

/**
 * Streams the records of a CSV file (header row included, as the first record) with
 * csv-parse: constant memory for any file size, back-pressured by the consumer. Records
 * csv-parse cannot read (an unclosed quote, ...) come out as `unreadable` instead of
 * ending the stream, so the caller can dead-letter them.
 */
export async function* readCsvRecords(file: string): AsyncGenerator<CsvRecord> {
  try {
    if (!(await stat(file)).isFile()) throw new CsvSourceError(file, 'is not a file');
  } catch (error) {
    if (error instanceof CsvSourceError) throw error;
    throw new CsvSourceError(file, error instanceof Error ? error.message : String(error), { cause: error });
  }
  const unreadable: CsvRecord[] = [];
  const parser = parse({
    bom: true,
    // A stray quote inside a cell stays in the cell, so the contract names the bad field instead of the parser losing the rest of the line.
    relax_quotes: true,
    info: true,
    raw: true,
    // Cell counts are checked against the header by the caller, which names both counts.
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (error, raw) => {
      const lastLine = Number(error?.['lines'] ?? 0);
      unreadable.push({ line: firstLineOf(lastLine, raw), unreadable: error?.message ?? 'unreadable record', raw });
      return undefined;
    },
  });
  // pipeline() hands a read error (file removed mid-way, ...) to the parser, so iteration rejects.
  pipeline(createReadStream(file), parser, () => undefined);
  try {
    for await (const output of parser as AsyncIterable<{ record: string[]; info: { lines: number }; raw: string }>) {
      const line = firstLineOf(output.info.lines, output.raw);
      // The parser reports unreadable records as it meets them, ahead of the records still queued: keep file order.
      while (unreadable.length > 0 && (unreadable[0]?.line ?? 0) < line) yield unreadable.shift() as CsvRecord;
      yield { line, cells: output.record, raw: output.raw };
    }
    yield* unreadable.splice(0);
  } catch (error) {
    throw new CsvSourceError(file, error instanceof Error ? error.message : String(error), { cause: error });
  } finally {
    parser.destroy();
  }
}
