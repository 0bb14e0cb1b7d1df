import { Client } from 'pg';
import { requiredEnv } from './run-environment';

/** Reads a warehouse table of the run's schema, rows as plain objects (numeric and bigint as strings, as pg returns them). */
export async function queryRows(schema: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new Client({ connectionString: requiredEnv('DATABASE_URL') });
  await client.connect();
  try {
    await client.query(`SET search_path TO "${schema}"`);
    return (await client.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

/** Polls until `count()` reaches `expected` and stays there for a moment, or fails with what it saw. */
export async function waitForRowCount(describe: string, count: () => Promise<number>, expected: number, timeoutMs = 120000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = -1;
  while (Date.now() < deadline) {
    seen = await count().catch(() => -1);
    if (seen === expected) {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      if ((await count()) === expected) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${describe}: expected ${expected} rows, saw ${seen} after ${timeoutMs} ms`);
}
