import type { Connection, Submittable } from 'pg';
import type { EntityManager } from 'typeorm';
import { toSqlValue, type TableColumn } from '@pipeline/contracts';
import { WarehouseCopyError } from './errors';
import type { LandingRow } from './landing-route';
import { quoteIdentifier } from './warehouse-settings';

/** What runs a Submittable: a pg Client or PoolClient (TypeORM's query runner holds one). */
export interface PgClient {
  query(submittable: Submittable): unknown;
}

/**
 * The part of pg's Connection that COPY FROM STDIN uses. pg speaks the copy sub-protocol with
 * these methods itself (pg-copy-streams uses them too), but its typings leave them out.
 */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  readonly stream: NodeJS.EventEmitter & { readonly writableNeedDrain?: boolean };
}

function copyConnection(connection: Connection): CopyConnection {
  const candidate = connection as unknown as Partial<CopyConnection>;
  if (typeof candidate.sendCopyFromChunk !== 'function' || typeof candidate.endCopyFrom !== 'function' || typeof candidate.query !== 'function' || !candidate.stream) {
    throw new Error('this pg client cannot run COPY FROM STDIN (the JavaScript client of pg is required, not pg-native)');
  }
  return candidate as CopyConnection;
}

const ignore = (): void => undefined;

/** CopyData messages of at most this size, as psql sends them. */
const CHUNK_BYTES = 64 * 1024;

function drained(stream: CopyConnection['stream']): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/**
 * One `COPY … FROM STDIN` as a pg Submittable: the client sends the statement, the server
 * answers CopyInResponse, the data goes out as CopyData messages (waiting while the socket is
 * full), then CopyDone; the server's CommandComplete says how many rows it took.
 */
class CopyFromStdin implements Submittable {
  private failed = false;
  private settled = false;
  private rowCount = 0;

  constructor(
    private readonly statement: string,
    private readonly data: Buffer,
    private readonly settle: (error: Error | undefined, rows: number) => void,
  ) {}

  submit(connection: Connection): void {
    copyConnection(connection).query(this.statement);
  }

  handleCopyInResponse(connection: Connection): void {
    // A socket that fails while sending fails this COPY (pg's client also reports it as a connection error).
    this.send(copyConnection(connection)).catch((error: unknown) => this.handleError(error instanceof Error ? error : new Error(String(error))));
  }

  private async send(connection: CopyConnection): Promise<void> {
    for (let offset = 0; offset < this.data.length && !this.failed; offset += CHUNK_BYTES) {
      connection.sendCopyFromChunk(this.data.subarray(offset, offset + CHUNK_BYTES));
      if (connection.stream.writableNeedDrain) await drained(connection.stream);
    }
    // After an error the server has left copy mode and ignores copy messages; nothing more to send.
    if (!this.failed) connection.endCopyFrom();
  }

  handleCommandComplete(message: { text?: string }): void {
    const rows = /^COPY (\d+)$/.exec(message.text ?? '')?.[1];
    this.rowCount = rows === undefined ? 0 : Number(rows);
  }

  handleReadyForQuery(): void {
    this.finish(undefined);
  }

  handleError(error: Error): void {
    this.failed = true;
    this.finish(error);
  }

  private finish(error: Error | undefined): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(error, this.rowCount);
  }

  // A COPY FROM answers none of these; pg's client calls them only for other kinds of statement.
  readonly handleRowDescription = ignore;
  readonly handleDataRow = ignore;
  readonly handlePortalSuspended = ignore;
  readonly handleEmptyQuery = ignore;
  readonly handleCopyData = ignore;
}

/**
 * Runs `COPY <table> (<columns>) FROM STDIN` (text format) on the client, inside whatever
 * transaction the client is in; resolves to the number of rows the server took. This is the
 * only place that speaks the copy sub-protocol: pg-copy-streams' `from()` would replace it.
 */
export function copyIn(client: PgClient, statement: string, data: Buffer, rows: number): Promise<number> {
  return new Promise((resolve, reject) => {
    client.query(new CopyFromStdin(statement, data, (error, copied) => (error ? reject(new WarehouseCopyError(statement, rows, error)) : resolve(copied))));
  });
}

const COPY_SPECIALS = /[\\\t\n\r]/;
const COPY_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One value in COPY's text format: `\N` for null, backslash, tab and line breaks escaped. */
export function copyTextValue(sqlType: string, value: unknown): string {
  const sql = toSqlValue(sqlType, value);
  if (sql === null || sql === undefined) return '\\N';
  const text = typeof sql === 'string' ? sql : typeof sql === 'number' || typeof sql === 'boolean' || typeof sql === 'bigint' ? String(sql) : JSON.stringify(sql);
  return COPY_SPECIALS.test(text) ? text.replace(/[\\\t\n\r]/g, (special) => COPY_ESCAPES[special] ?? special) : text;
}

/** Rows as COPY text data, one line per row, the columns in the given order. */
export function copyText(columns: readonly TableColumn[], rows: readonly LandingRow[]): Buffer {
  const lines: string[] = [];
  for (const row of rows) lines.push(columns.map((column) => copyTextValue(column.sql, row[column.field])).join('\t'));
  lines.push('');
  return Buffer.from(lines.join('\n'), 'utf8');
}

async function pgClientOf(manager: EntityManager): Promise<PgClient> {
  const client: unknown = await manager.queryRunner?.connect();
  if (typeof client !== 'object' || client === null || typeof (client as Partial<PgClient>).query !== 'function') {
    throw new Error('the warehouse data source gave no pg client for COPY (is it a postgres data source?)');
  }
  return client as PgClient;
}

/** COPYs rows into a table (unqualified: the connection's search path, or pg_temp), in the manager's transaction; resolves to the rows taken. */
export async function copyRows(manager: EntityManager, table: string, columns: readonly TableColumn[], rows: readonly LandingRow[]): Promise<number> {
  const statement = `COPY ${quoteIdentifier(table)} (${columns.map((column) => quoteIdentifier(column.column)).join(', ')}) FROM STDIN`;
  return copyIn(await pgClientOf(manager), statement, copyText(columns, rows), rows.length);
}
