/** What runs SQL here: a DataSource, an EntityManager or a QueryRunner. */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/** Runs a query and returns its rows with the caller's row type (pg returns plain objects). */
export async function queryRows<Row>(runner: SqlRunner, sql: string, parameters: unknown[] = []): Promise<Row[]> {
  return (await runner.query(sql, parameters)) as Row[];
}

/** PostgreSQL accepts at most 65535 bind parameters in one statement. */
export const MAX_BIND_PARAMETERS = 65535;

/** Splits rows into runs small enough for one multi-row INSERT each (order kept, so the last write of a key wins). */
export function statementChunks<Row>(rows: readonly Row[], parametersPerRow: number, maxParameters = MAX_BIND_PARAMETERS): Row[][] {
  if (!Number.isInteger(parametersPerRow) || parametersPerRow < 1 || parametersPerRow > maxParameters) {
    throw new RangeError(`parametersPerRow must be an integer in 1..${maxParameters}, got ${parametersPerRow}`);
  }
  const rowsPerStatement = Math.floor(maxParameters / parametersPerRow);
  const chunks: Row[][] = [];
  for (let start = 0; start < rows.length; start += rowsPerStatement) chunks.push(rows.slice(start, start + rowsPerStatement));
  return chunks;
}
