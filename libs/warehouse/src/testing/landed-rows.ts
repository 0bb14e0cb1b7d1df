import type { LandingRow, LandingTable } from '../lib/landing-route';
import { queryRows, type SqlRunner } from '../lib/sql';
import { quoteIdentifier } from '../lib/warehouse-settings';

/** Rows in natural-key order (how the tests compare what landed with what was sent). */
export function byNaturalKey(table: Pick<LandingTable, 'keyOf'>, rows: readonly LandingRow[]): LandingRow[] {
  return [...rows].sort((a, b) => table.keyOf(a).localeCompare(table.keyOf(b)));
}

/** A landed table read back as contract values (timestamptz as epoch millis), in natural-key order. */
export async function landedRows(db: SqlRunner, table: LandingTable): Promise<LandingRow[]> {
  const rows = await queryRows<{ row: Record<string, unknown> }>(db, `SELECT to_jsonb(t) AS row FROM ${quoteIdentifier(table.name)} t`);
  return byNaturalKey(
    table,
    rows.map(({ row }) => Object.fromEntries(table.columns.map((column) => [column.field, column.sql === 'timestamptz' ? Date.parse(String(row[column.column])) : row[column.column]]))),
  );
}
