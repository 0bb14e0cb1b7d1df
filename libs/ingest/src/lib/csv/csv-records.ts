import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { parse, type CsvError, type Options } from 'csv-parse';
import { parse as parseText } from 'csv-parse/sync';

/** One record of a CSV file: its cells, or why csv-parse could not read it. `line` is 1-based, where the record starts. */
export type CsvRecord = { line: number; cells: string[] } | { line: number; unreadable: string; raw: string | undefined };

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

/** A record longer than this whose quote never closes is unreadable on its own first line; reading goes on at the next. */
export const MAX_CSV_RECORD_CHARS = 2 ** 20;

/** How csv-parse reads this product's CSV files, whichever way it is driven. */
const CSV_OPTIONS = {
  // A stray quote inside a cell stays in the cell, so the contract names the bad field instead of the parser losing the rest of the line.
  relax_quotes: true,
  info: true,
  raw: true,
  // Cell counts are checked against the header by the caller, which names both counts.
  relax_column_count: true,
  skip_empty_lines: true,
  skip_records_with_error: true,
} as const satisfies Options;

/** What csv-parse yields with `info` and `raw`. */
interface ParsedRecord {
  record: string[];
  info: { lines: number };
  raw: string;
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

/** csv-parse's messages name the line they stopped at ("… at line 3", "… on line 3"), counted from where it started. */
const MESSAGE_LINE = /\b(at|on) line (\d+)/g;

function unreadableRecord(error: CsvError | undefined, raw: string | undefined, lineOffset: number): CsvRecord {
  const lastLine = Number(error?.['lines'] ?? 0);
  const message = error?.message ?? 'unreadable record';
  const unreadable = lineOffset === 0 ? message : message.replace(MESSAGE_LINE, (_, preposition: string, line: string) => `${preposition} line ${Number(line) + lineOffset}`);
  // Without the empty lines csv-parse skipped before the record: the dead letter holds the record's own text.
  return { line: lineOffset + firstLineOf(lastLine, raw), unreadable, raw: raw?.replace(/^[\r\n]+/, '') };
}

async function assertIsFile(file: string): Promise<void> {
  try {
    if (!(await stat(file)).isFile()) throw new CsvSourceError(file, 'is not a file');
  } catch (error) {
    if (error instanceof CsvSourceError) throw error;
    throw new CsvSourceError(file, error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/**
 * Streams the records of a CSV file (header row included, as the first record): constant
 * memory for any file size, back-pressured by the consumer. Records csv-parse cannot read (an
 * unclosed quote, ...) come out as `unreadable` instead of ending the stream, so the caller can
 * dead-letter them.
 *
 * A line without quotes, or with quotes only around whole cells (nearly every line of a
 * machine-written file), is split on commas directly: csv-parse would read it the same way at
 * seven times the cost, which was most of a replay's CPU. Other lines go to csv-parse, together
 * with the lines their quoted cells span. The property test holds this to csv-parse over random files.
 */
export async function* readCsvRecords(file: string): AsyncGenerator<CsvRecord> {
  for await (const chunk of readCsvRecordChunks(file)) yield* chunk;
}

/**
 * readCsvRecords a read chunk at a time: the records of every line read so far, without an await per
 * line (a replay's hot loop: awaits per row through the generators and the pump were a quarter of its CPU).
 */
export async function* readCsvRecordChunks(file: string): AsyncGenerator<CsvRecord[]> {
  await assertIsFile(file);
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 2 ** 16 });
  try {
    const lines = new LineWindow(stream[Symbol.asyncIterator]() as AsyncIterator<string>);
    const delimiter = await recordDelimiterOf(lines);
    if (delimiter === undefined) {
      // A first line csv-parse would take another record delimiter from (old Mac '\r', a quoted line break): csv-parse alone.
      stream.destroy();
      for await (const record of parseCsvStream(file)) yield [record];
      return;
    }
    let lineNumber = 1;
    while (await lines.ensure(1)) {
      const chunk: CsvRecord[] = [];
      // The lines read already (all complete: the window holds a line once its '\n' is read, or the text ended).
      while (lines.available > 0) {
        const cells = plainCells(lines, 0, delimiter);
        if (cells === undefined) break;
        lines.skip(1);
        if (cells.length > 0) chunk.push({ line: lineNumber, cells });
        lineNumber += 1;
      }
      if (lines.available > 0) {
        const run = await parseQuotedRun(lines, delimiter, lineNumber - 1);
        for (const record of run.records) chunk.push(record);
        lines.skip(run.lines);
        lineNumber += run.lines;
      }
      if (chunk.length > 0) yield chunk;
    }
  } catch (error) {
    throw new CsvSourceError(file, error instanceof Error ? error.message : String(error), { cause: error });
  } finally {
    stream.destroy();
  }
}

type RecordDelimiter = '\n' | '\r\n';

/**
 * The cells of line `offset` when csv-parse would read the line as one record ending with it: no
 * '\r' but the delimiter's, and quotes only around whole cells without quotes or commas inside.
 * Empty for an empty line (skipped); undefined when only csv-parse can tell.
 */
function plainCells(lines: LineWindow, offset: number, delimiter: RecordDelimiter): string[] | undefined {
  const body = lineBody(lines.peek(offset), lines.terminated(offset), delimiter);
  if (body === undefined) return undefined;
  if (body.length === 0) return [];
  const cells = body.split(',');
  return body.includes('"') ? unquoted(cells) : cells;
}

/** The line without the delimiter's '\r'; undefined when it holds another '\r' or does not end with the delimiter. */
function lineBody(line: string, terminated: boolean, delimiter: RecordDelimiter): string | undefined {
  const carriageReturn = line.indexOf('\r');
  if (carriageReturn < 0) return delimiter === '\n' || !terminated ? line : undefined;
  return delimiter === '\r\n' && carriageReturn === line.length - 1 && terminated ? line.slice(0, -1) : undefined;
}

/** `"abc"` cells without their quotes (in place); undefined when a quote is anywhere else. */
function unquoted(cells: string[]): string[] | undefined {
  for (let index = 0; index < cells.length; index += 1) {
    const cell = cells[index] ?? '';
    if (!cell.includes('"')) continue;
    if (cell.length < 2 || cell[0] !== '"' || cell.indexOf('"', 1) !== cell.length - 1) return undefined;
    cells[index] = cell.slice(1, -1);
  }
  return cells;
}

/**
 * The record delimiter csv-parse would find (the first line break outside quotes): '\n' or
 * '\r\n' when the first line fixes it, undefined when only csv-parse itself can tell.
 */
async function recordDelimiterOf(lines: LineWindow): Promise<RecordDelimiter | undefined> {
  if (!(await lines.ensure(1))) return '\n';
  const first = lines.peek(0);
  const carriageReturn = first.indexOf('\r');
  const delimiter: RecordDelimiter | undefined = carriageReturn < 0 ? '\n' : carriageReturn === first.length - 1 && lines.terminated(0) ? '\r\n' : undefined;
  if (delimiter === undefined || !first.includes('"')) return delimiter;
  // A quoted first line fixes the delimiter only if its quotes close within it.
  const parsed = parseLines(lines.text(0, 1), delimiter);
  return parsed.quoteOpenAtEnd ? undefined : delimiter;
}

/** Lines that are not plain go to csv-parse together, up to this many: one parser for a run of them (a file that quotes every cell). */
const QUOTED_RUN_LINES = 1000;

/**
 * Parses the quoted line at the window's start with csv-parse, with the lines after it that are
 * not plain either and, while a quote stays open at the end, twice as many lines each time
 * (a quoted cell spans them), so the text ends where a record does.
 */
async function parseQuotedRun(lines: LineWindow, delimiter: RecordDelimiter, lineOffset: number): Promise<{ records: CsvRecord[]; lines: number }> {
  let count = 1;
  while (count < QUOTED_RUN_LINES && (await lines.ensure(count + 1)) && plainCells(lines, count, delimiter) === undefined) count += 1;
  for (;;) {
    const text = lines.text(0, count);
    const parsed = parseLines(text, delimiter);
    const atEnd = !(await lines.ensure(count + 1));
    // With '\r\n', a run's last line that ends with a bare '\n' continues into the next record.
    const endsRecord = !parsed.quoteOpenAtEnd && (delimiter === '\n' || !lines.terminated(count - 1) || lines.peek(count - 1).endsWith('\r'));
    if (endsRecord) return { records: parsed.records(lineOffset), lines: count };
    if (parsed.quoteOpenAtEnd && text.length > MAX_CSV_RECORD_CHARS) return unclosedQuote(parsed, lines, lineOffset);
    if (atEnd) return { records: parsed.records(lineOffset), lines: count };
    await lines.ensure(count * 2);
    count = Math.min(count * 2, lines.available);
  }
}

/** A quote still open after MAX_CSV_RECORD_CHARS: the records before it, then its first line alone as unreadable. */
function unclosedQuote(parsed: ParsedLines, lines: LineWindow, lineOffset: number): { records: CsvRecord[]; lines: number } {
  const records = parsed.records(lineOffset);
  const open = records.pop();
  const line = open?.line ?? lineOffset + 1;
  const raw = lines.peek(line - lineOffset - 1);
  records.push({ line, unreadable: `Quote Not Closed within ${MAX_CSV_RECORD_CHARS.toLocaleString('en-US')} characters`, raw });
  return { records, lines: line - lineOffset };
}

interface ParsedLines {
  /** The last record's quote is still open where the text ends. */
  quoteOpenAtEnd: boolean;
  /** The records in file order, numbered from `lineOffset` + 1. */
  records(lineOffset: number): CsvRecord[];
}

function parseLines(text: string, delimiter: RecordDelimiter): ParsedLines {
  const skipped: Array<{ error: CsvError | undefined; raw: string | undefined }> = [];
  // csv-parse's typings leave out what `info` and `raw` add to each record.
  const parsed = parseText(text, {
    ...CSV_OPTIONS,
    record_delimiter: delimiter,
    on_skip: (error, raw) => {
      skipped.push({ error, raw });
      return undefined;
    },
  }) as unknown as ParsedRecord[];
  return {
    quoteOpenAtEnd: skipped.at(-1)?.error?.code === 'CSV_QUOTE_NOT_CLOSED',
    records: (lineOffset) => {
      const records: CsvRecord[] = [];
      let next = 0;
      for (const output of parsed) {
        const line = lineOffset + firstLineOf(output.info.lines, output.raw);
        for (; next < skipped.length; next += 1) {
          const unreadable = unreadableRecord(skipped[next]?.error, skipped[next]?.raw, lineOffset);
          if (unreadable.line >= line) break;
          records.push(unreadable);
        }
        records.push({ line, cells: output.record });
      }
      for (; next < skipped.length; next += 1) records.push(unreadableRecord(skipped[next]?.error, skipped[next]?.raw, lineOffset));
      return records;
    },
  };
}

/** csv-parse over the whole file: the way for files whose first line leaves the record delimiter open, and what readCsvRecords is tested against. */
export async function* parseCsvStream(file: string): AsyncGenerator<CsvRecord> {
  const unreadable: CsvRecord[] = [];
  const parser = parse({
    ...CSV_OPTIONS,
    bom: true,
    on_skip: (error, raw) => {
      unreadable.push(unreadableRecord(error, raw, 0));
      return undefined;
    },
  });
  // pipeline() hands a read error (file removed mid-way, ...) to the parser, so iteration rejects.
  pipeline(createReadStream(file), parser, () => undefined);
  try {
    for await (const output of parser as AsyncIterable<ParsedRecord>) {
      const line = firstLineOf(output.info.lines, output.raw);
      // The parser reports unreadable records as it meets them, ahead of the records still queued: keep file order.
      while (unreadable.length > 0 && (unreadable[0]?.line ?? 0) < line) yield unreadable.shift() as CsvRecord;
      yield { line, cells: output.record };
    }
    yield* unreadable.splice(0);
  } finally {
    parser.destroy();
  }
}

/**
 * The lines of a text stream, read a chunk at a time, with a look-ahead for records that span
 * lines. A line is held without its '\n' (a '\r' before it stays); a byte-order mark at the start
 * of the text is dropped, as csv-parse's `bom` does.
 */
class LineWindow {
  private lines: string[] = [];
  private at = 0;
  private partial = '';
  private ended = false;
  private started = false;
  /** The text's last line has no '\n' (it is then the window's last line, once ended). */
  private lastUnterminated = false;

  constructor(private readonly chunks: AsyncIterator<string>) {}

  get available(): number {
    return this.lines.length - this.at;
  }

  /** Reads until `count` lines are available or the text ends; whether they are. */
  async ensure(count: number): Promise<boolean> {
    while (this.available < count && !this.ended) {
      const next = await this.chunks.next();
      let complete: string[];
      if (next.done) {
        this.ended = true;
        if (this.partial.length === 0) break;
        complete = [this.partial];
        this.partial = '';
        this.lastUnterminated = true;
      } else {
        let text = this.partial + next.value;
        if (!this.started) {
          this.started = true;
          if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        }
        const lastBreak = text.lastIndexOf('\n');
        if (lastBreak < 0) {
          this.partial = text;
          continue;
        }
        this.partial = text.slice(lastBreak + 1);
        complete = text.slice(0, lastBreak).split('\n');
      }
      this.lines = this.at < this.lines.length ? this.lines.slice(this.at).concat(complete) : complete;
      this.at = 0;
    }
    return this.available >= count;
  }

  peek(offset: number): string {
    return this.lines[this.at + offset] ?? '';
  }

  /** Whether line `offset` ends with '\n' (all but possibly the text's last). */
  terminated(offset: number): boolean {
    return !(this.lastUnterminated && this.at + offset === this.lines.length - 1);
  }

  /** Lines [from, to) as the text they were, line breaks included. */
  text(from: number, to: number): string {
    const body = this.lines.slice(this.at + from, this.at + to).join('\n');
    return this.terminated(to - 1) ? `${body}\n` : body;
  }

  skip(count: number): void {
    this.at += count;
  }
}
