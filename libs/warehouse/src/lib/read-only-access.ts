import { queryRows, type SqlRunner } from './sql';
import { BI_READER_LOGIN, quoteIdentifier, WAREHOUSE_READER_ROLE } from './warehouse-settings';

const reader = quoteIdentifier(WAREHOUSE_READER_ROLE);

/**
 * CREATE ROLE unless it exists. Roles are cluster-wide, so another database (or schema)
 * may create the same role at the same moment; losing that race is fine.
 */
export function createRoleIfMissing(role: string, attributes: string): string {
  return [
    'DO $$ BEGIN',
    `  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role.replace(/'/g, "''")}') THEN CREATE ROLE ${quoteIdentifier(role)} ${attributes}; END IF;`,
    'EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;',
    'END $$',
  ].join('\n');
}

/** SELECT for WAREHOUSE_READER_ROLE on a schema's tables, today's and those its owner creates later. */
export function grantReaderStatements(schema: string, migrationsTable: string): string[] {
  const quotedSchema = quoteIdentifier(schema);
  return [
    createRoleIfMissing(WAREHOUSE_READER_ROLE, 'NOLOGIN'),
    `GRANT USAGE ON SCHEMA ${quotedSchema} TO ${reader}`,
    `GRANT SELECT ON ALL TABLES IN SCHEMA ${quotedSchema} TO ${reader}`,
    // Applies to tables the migrating role creates later, so new tables are readable without a grant.
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${quotedSchema} GRANT SELECT ON TABLES TO ${reader}`,
    // Migration bookkeeping is not for BI users.
    `REVOKE ALL ON ${quotedSchema}.${quoteIdentifier(migrationsTable)} FROM ${reader}`,
  ];
}

/** Undoes grantReaderStatements for one schema; the role stays, other schemas may use it. */
export function revokeReaderStatements(schema: string): string[] {
  const quotedSchema = quoteIdentifier(schema);
  return [
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${quotedSchema} REVOKE SELECT ON TABLES FROM ${reader}`,
    `REVOKE SELECT ON ALL TABLES IN SCHEMA ${quotedSchema} FROM ${reader}`,
    `REVOKE USAGE ON SCHEMA ${quotedSchema} FROM ${reader}`,
  ];
}

/**
 * The BI login: created if missing, member of WAREHOUSE_READER_ROLE, password as configured.
 * Runs on every migration run, so the configured password is always the one that works.
 */
export async function ensureBiReaderLogin(runner: SqlRunner, password: string): Promise<void> {
  await runner.query(createRoleIfMissing(BI_READER_LOGIN, 'LOGIN'));
  await runner.query(`GRANT ${reader} TO ${quoteIdentifier(BI_READER_LOGIN)}`);
  // The server quotes the password (format %L); it is never spliced into SQL text here.
  const [alter] = await queryRows<{ statement: string }>(runner, `SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', $1::text, $2::text) AS statement`, [
    BI_READER_LOGIN,
    password,
  ]);
  if (!alter) throw new Error('format() returned no row');
  await runner.query(alter.statement);
}
