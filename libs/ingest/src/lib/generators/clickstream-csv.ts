import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { clickstreamSessions, type ClickEventValue } from './clickstream';
import { take } from './take';
import { SeededRandom } from './seeded-random';
import type { GeneratorOptions } from './timeline';

export const CLICKSTREAM_CSV_COLUMNS = ['eventId', 'sessionId', 'customerId', 'eventType', 'productId', 'category', 'price', 'timestamp'] as const;

export interface ClickstreamCsvOptions extends Partial<Omit<GeneratorOptions, 'lateFraction' | 'lateByMs'>> {
  /** Data rows (header not counted). */
  rows: number;
  /** Every n-th data row is broken in one of several ways (0: none). Default 50. */
  invalidEvery?: number;
}

const DEFAULT_INVALID_EVERY = 50;
/** The session generator's options behind the CSV unless overridden: 20 events/s from 2024-03-01 09:00 UTC. */
export const CLICKSTREAM_CSV_DEFAULTS = { seed: 7, ratePerSecond: 20, keys: 12, startTime: Date.parse('2024-03-01T09:00:00Z') };

/** Quotes a cell when CSV needs it (comma, quote, line break). */
function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

type Cells = Record<(typeof CLICKSTREAM_CSV_COLUMNS)[number], string>;

function inColumnOrder(cells: Cells): string[] {
  return CLICKSTREAM_CSV_COLUMNS.map((column) => cells[column]);
}

/** The ways a row gets broken: each one a different reason on the dead-letter topic. */
const BREAKAGES: ReadonlyArray<(cells: Cells) => string[]> = [
  (cells) => inColumnOrder({ ...cells, price: `-${cells.price}` }),
  (cells) => inColumnOrder({ ...cells, eventType: 'teleport' }),
  (cells) => inColumnOrder({ ...cells, timestamp: 'yesterday' }),
  (cells) => inColumnOrder({ ...cells, sessionId: '' }),
  (cells) => inColumnOrder({ ...cells, price: `${cells.price}EUR` }),
  (cells) => inColumnOrder(cells).slice(0, -1),
];

function cellsOf(event: ClickEventValue): Cells {
  return { ...event, price: event.price.toFixed(2), timestamp: new Date(event.timestamp).toISOString() };
}

/**
 * A deterministic clickstream CSV, line by line (header first): the session generator's
 * events with ISO-8601 timestamps, every `invalidEvery`-th row broken (negative or
 * non-numeric price, unknown event type, unreadable timestamp, empty session, a missing
 * cell). Same options, same bytes.
 */
export function* clickstreamCsvLines(options: ClickstreamCsvOptions): Generator<string> {
  const generator = { ...CLICKSTREAM_CSV_DEFAULTS, ...options };
  const invalidEvery = options.invalidEvery ?? DEFAULT_INVALID_EVERY;
  const breakWith = new SeededRandom(generator.seed + 1);
  yield `${CLICKSTREAM_CSV_COLUMNS.join(',')}\n`;
  let row = 0;
  for (const event of take(clickstreamSessions(generator), options.rows)) {
    row += 1;
    const cells = cellsOf(event);
    const values = isBrokenClickstreamRow(row, invalidEvery) ? breakWith.pick(BREAKAGES)(cells) : inColumnOrder(cells);
    yield `${values.map(csvCell).join(',')}\n`;
  }
}

/** Which data rows `clickstreamCsvLines` breaks (1-based), so tests know what to expect. */
export function isBrokenClickstreamRow(row: number, invalidEvery = DEFAULT_INVALID_EVERY): boolean {
  return invalidEvery > 0 && row % invalidEvery === 0;
}

/** Writes `clickstreamCsvLines` to a file, streamed (constant memory for any row count). */
export async function writeClickstreamCsv(file: string, options: ClickstreamCsvOptions): Promise<{ file: string; rows: number; brokenRows: number }> {
  const chunks = async function* () {
    let chunk = '';
    for (const line of clickstreamCsvLines(options)) {
      chunk += line;
      if (chunk.length >= 64 * 1024) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  };
  await pipeline(Readable.from(chunks()), createWriteStream(file));
  const invalidEvery = options.invalidEvery ?? DEFAULT_INVALID_EVERY;
  return { file, rows: options.rows, brokenRows: invalidEvery > 0 ? Math.floor(options.rows / invalidEvery) : 0 };
}
