import type { DataSource, EntityManager } from 'typeorm';
import { classifyFailure, type RejectedRecord, type StreamRecord } from '@pipeline/streaming';
import { copyRows } from '../copy-in';
import type { LandingRow, LandingTable } from '../landing-route';
import { statementChunks } from '../sql';
import { quoteIdentifier } from '../warehouse-settings';

/** A decoded row and the record it came from (for the dead-letter topic). */
export interface LandingItem {
  readonly row: LandingRow;
  readonly record: StreamRecord;
}

/** The last version of each natural key, in first-seen order: one INSERT … ON CONFLICT may touch a row only once. */
export function lastPerKey(table: Pick<LandingTable, 'keyOf'>, rows: readonly LandingRow[]): LandingRow[] {
  const byKey = new Map<string, LandingRow>();
  for (const row of rows) byKey.set(table.keyOf(row), row);
  return [...byKey.values()];
}

/** The statements of the staged upsert of one table, every column list from the table's contract. */
interface StagedUpsert {
  readonly staging: string;
  readonly createStaging: string;
  readonly upsert: string;
}

const stagedUpserts = new WeakMap<LandingTable, StagedUpsert>();

function stagedUpsertOf(table: LandingTable): StagedUpsert {
  let statements = stagedUpserts.get(table);
  if (!statements) {
    const target = quoteIdentifier(table.name);
    const staging = `staging_${table.name}`;
    const columns = table.columns.map((column) => quoteIdentifier(column.column)).join(', ');
    statements = {
      staging,
      // A temporary table per connection, reused by every batch (creating one per batch costs catalog
      // writes); LIKE takes the real table's columns and NOT NULLs, no indexes, no WAL; emptied at commit.
      createStaging: `CREATE TEMPORARY TABLE IF NOT EXISTS ${quoteIdentifier(staging)} (LIKE ${target}) ON COMMIT DELETE ROWS`,
      upsert: `INSERT INTO ${target} (${columns}) SELECT ${columns} FROM ${quoteIdentifier(staging)} ${table.onConflict}`,
    };
    stagedUpserts.set(table, statements);
  }
  return statements;
}

/**
 * Lands rows through COPY: into the connection's staging table, then one INSERT … SELECT …
 * ON CONFLICT into the table, in the caller's transaction. Equal keys keep their last version.
 */
export async function copyUpsert(manager: EntityManager, table: LandingTable, rows: readonly LandingRow[]): Promise<void> {
  if (rows.length === 0) return;
  const statements = stagedUpsertOf(table);
  const latest = lastPerKey(table, rows);
  await manager.query(statements.createStaging);
  await copyRows(manager, statements.staging, table.columns, latest);
  await manager.query(statements.upsert);
}

/** Rows in multi-row INSERT … ON CONFLICT statements, in order (the refusal path: exact errors per row). */
export async function upsertStatements(manager: EntityManager, table: LandingTable, rows: readonly LandingRow[]): Promise<void> {
  for (const chunk of statementChunks(rows, table.columns.length)) {
    const statement = table.upsert(chunk);
    await manager.query(statement.text, statement.values);
  }
}

/**
 * Finds the rows the database refuses by halving: a part that fails is rolled back to its
 * savepoint and split, until a refused row is alone; every other row lands, in record order.
 * A batch of n rows with k refusals takes about 2k·log2(n) statements, not n.
 */
async function isolateRefusals(manager: EntityManager, table: LandingTable, items: readonly LandingItem[]): Promise<RejectedRecord[]> {
  const refused: RejectedRecord[] = [];
  const land = async (part: readonly LandingItem[]): Promise<void> => {
    await manager.query('SAVEPOINT warehouse_rows');
    try {
      await upsertStatements(
        manager,
        table,
        part.map((item) => item.row),
      );
      await manager.query('RELEASE SAVEPOINT warehouse_rows');
      return;
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.kind !== 'record') throw error;
      await manager.query('ROLLBACK TO SAVEPOINT warehouse_rows');
      await manager.query('RELEASE SAVEPOINT warehouse_rows');
      const [only] = part;
      if (part.length === 1 && only) {
        refused.push({ record: only.record, failure });
        return;
      }
    }
    const middle = Math.ceil(part.length / 2);
    await land(part.slice(0, middle));
    await land(part.slice(middle));
  };
  await land(items);
  return refused;
}

/**
 * Lands a batch's rows in one transaction by COPY (see copyUpsert). When the database refuses a
 * row for what it holds (a value beyond its column, a key too long for its index: SQLSTATE
 * classes 22, 23, 54), the batch is written again in a new transaction, halving around the
 * refused rows, and those are returned for the dead-letter topic one by one, each with its own
 * SQLSTATE. Any other failure fails the batch, and the runtime's error policy retries or isolates it.
 */
export async function landBatch(dataSource: DataSource, table: LandingTable, items: readonly LandingItem[]): Promise<RejectedRecord[]> {
  if (items.length === 0) return [];
  try {
    await dataSource.transaction((manager) =>
      copyUpsert(
        manager,
        table,
        items.map((item) => item.row),
      ),
    );
    return [];
  } catch (error) {
    if (classifyFailure(error).kind !== 'record') throw error;
  }
  return dataSource.transaction((manager) => isolateRefusals(manager, table, items));
}
