import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { EntityManager } from 'typeorm';
import { toSqlValue, type TableColumn } from '@pipeline/contracts';
import { WarehouseCopyError } from './errors';
import type { LandingRow } from './landing-route';
import { quoteIdentifier } from './warehouse-settings';

/** What runs a COPY stream: a pg Client or PoolClient (TypeORM's query runner holds one). */
export type PgClient = Pick<PoolClient, 'query'>;

/**
 * Runs `COPY <table> (<columns>) FROM STDIN` (text format) on the client with pg-copy-streams,
 * inside whatever transaction the client is in; resolves to the number of rows the server took.
 */
export async function copyIn(client: PgClient, statement: string, data: Buffer, rows: number): Promise<number> {
  const stream = client.query(copyFrom(statement));
  try {
    await pipeline(Readable.from([data]), stream);
  } catch (error) {
    throw new WarehouseCopyError(statement, rows, error);
  }
  return Number(stream.rowCount ?? 0);
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
