import { WarehouseRoleError } from './errors';
import { queryRows, type SqlRunner } from './sql';
import { BI_READER_LOGIN, BI_READER_STATEMENT_TIMEOUT, quoteIdentifier, WAREHOUSE_READER_ROLE, WAREHOUSE_SINK_LOGIN, WAREHOUSE_WRITER_ROLE } from './warehouse-settings';

const reader = quoteIdentifier(WAREHOUSE_READER_ROLE);
const writer = quoteIdentifier(WAREHOUSE_WRITER_ROLE);

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * CREATE ROLE unless it exists. Roles are cluster-wide, so another database (or schema)
 * may create the same role at the same moment; losing that race is fine. A login without
 * CREATEROLE (the warehouse owner of the local stack) cannot create it: the error says who must.
 */
export function createRoleIfMissing(role: string, attributes: string): string {
  return [
    'DO $$ BEGIN',
    `  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${literal(role)}) THEN CREATE ROLE ${quoteIdentifier(role)} ${attributes}; END IF;`,
    'EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;',
    `  WHEN insufficient_privilege THEN RAISE EXCEPTION 'role % is missing and % may not create it: a database administrator creates the warehouse roles (README: Database roles)', ${literal(role)}, current_user USING ERRCODE = 'insufficient_privilege';`,
    'END $$',
  ].join('\n');
}

/**
 * DML for WAREHOUSE_WRITER_ROLE on a schema's tables (today's and later ones), nothing else: no
 * DDL, no other schema, no migration bookkeeping. The migrating login must be able to SET ROLE to it.
 */
export function grantWriterStatements(schema: string, migrationsTable: string): string[] {
  const quotedSchema = quoteIdentifier(schema);
  return [
    createRoleIfMissing(WAREHOUSE_WRITER_ROLE, 'NOLOGIN'),
    // The sink's connections SET ROLE to the writer, so the migrating login must be a member.
    [
      'DO $$ BEGIN',
      `  IF NOT pg_has_role(current_user, ${literal(WAREHOUSE_WRITER_ROLE)}, 'MEMBER') THEN EXECUTE format('GRANT %I TO %I', ${literal(WAREHOUSE_WRITER_ROLE)}, current_user); END IF;`,
      'END $$',
    ].join('\n'),
    `GRANT USAGE ON SCHEMA ${quotedSchema} TO ${writer}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${quotedSchema} TO ${writer}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${quotedSchema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${writer}`,
    `REVOKE ALL ON ${quotedSchema}.${quoteIdentifier(migrationsTable)} FROM ${writer}`,
  ];
}

/** Undoes grantWriterStatements for one schema; the role stays. */
export function revokeWriterStatements(schema: string): string[] {
  const quotedSchema = quoteIdentifier(schema);
  return [
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${quotedSchema} REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM ${writer}`,
    `REVOKE ALL ON ALL TABLES IN SCHEMA ${quotedSchema} FROM ${writer}`,
    `REVOKE USAGE ON SCHEMA ${quotedSchema} FROM ${writer}`,
  ];
}

export interface WarehouseRolesPlan {
  /** The database of the warehouse (TEMP and CONNECT are database privileges). */
  database: string;
  /** The login that owns and migrates the warehouse (and lands as WAREHOUSE_WRITER_ROLE). */
  owner: string;
  /** Password of a BI login created now; none: it cannot sign in until one is set. */
  biReaderPassword?: string;
  /** Password of a sink login (WAREHOUSE_SINK_LOGIN) created now; none: it cannot sign in until one is set. */
  sinkPassword?: string;
}

/**
 * The cluster-level set-up of least privilege, run by an administrator (the local stack does it at
 * start with its own superuser; elsewhere a DBA runs the same statements once): the owner is a
 * plain login (no SUPERUSER, CREATEROLE, CREATEDB) owning the database; the writer and reader
 * roles; the BI login with a statement timeout; the sink login, a member of the writer only (for a
 * sink that does not migrate); and no temporary tables for anyone but the owner and the writer.
 * Idempotent; an existing login's password is never changed here.
 */
export function warehouseRoleStatements(plan: WarehouseRolesPlan): string[] {
  const owner = quoteIdentifier(plan.owner);
  const database = quoteIdentifier(plan.database);
  const bi = quoteIdentifier(BI_READER_LOGIN);
  const sink = quoteIdentifier(WAREHOUSE_SINK_LOGIN);
  const passwordOf = (password: string | undefined) => (password === undefined ? '' : ` PASSWORD ${literal(password)}`);
  return [
    `ALTER ROLE ${owner} NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS`,
    `ALTER DATABASE ${database} OWNER TO ${owner}`,
    createRoleIfMissing(WAREHOUSE_WRITER_ROLE, 'NOLOGIN'),
    createRoleIfMissing(WAREHOUSE_READER_ROLE, 'NOLOGIN'),
    createRoleIfMissing(BI_READER_LOGIN, `LOGIN${passwordOf(plan.biReaderPassword)}`),
    createRoleIfMissing(WAREHOUSE_SINK_LOGIN, `LOGIN${passwordOf(plan.sinkPassword)}`),
    `GRANT ${writer} TO ${owner}`,
    `GRANT ${writer} TO ${sink}`,
    `GRANT ${reader} TO ${bi}`,
    `ALTER ROLE ${bi} NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS`,
    `ALTER ROLE ${sink} NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS`,
    `ALTER ROLE ${bi} SET statement_timeout = ${literal(BI_READER_STATEMENT_TIMEOUT)}`,
    // TEMP is granted to PUBLIC by default: a BI login could fill the disk with temporary tables.
    `REVOKE TEMPORARY ON DATABASE ${database} FROM PUBLIC`,
    `GRANT TEMPORARY ON DATABASE ${database} TO ${owner}, ${writer}`,
  ];
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

export interface BiReaderPasswords {
  /** Set: make this the login's password. Unset: an existing login keeps its own. */
  password?: string;
  /** The password a login created now gets when `password` is unset (local mode only). */
  passwordIfCreated?: string;
}

/**
 * The BI login, on every migration run: a login that exists keeps its password unless one is
 * configured. Creating it (or changing its password) needs CREATEROLE, which a least-privilege
 * owner lacks: then an administrator must have provisioned it (warehouseRoleStatements), and a
 * configured password is refused with the reason rather than ignored.
 */
export async function ensureBiReaderLogin(runner: SqlRunner, passwords: BiReaderPasswords): Promise<void> {
  const [state] = await queryRows<{ exists: boolean; member: boolean; manages_roles: boolean }>(
    runner,
    `SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1) AS exists,
            EXISTS (SELECT FROM pg_roles WHERE rolname = $1) AND pg_has_role($1, $2, 'MEMBER') AS member,
            (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user) AS manages_roles`,
    [BI_READER_LOGIN, WAREHOUSE_READER_ROLE],
  );
  if (!state) throw new Error('pg_roles returned no row');
  const password = state.exists ? passwords.password : (passwords.password ?? passwords.passwordIfCreated);
  if (!state.manages_roles) {
    if (!state.exists || !state.member) {
      throw new WarehouseRoleError(`${BI_READER_LOGIN} is missing or not a member of ${WAREHOUSE_READER_ROLE}, and this login may not manage roles: a database administrator provisions it (README: Database roles)`);
    }
    if (passwords.password !== undefined) {
      throw new WarehouseRoleError(`WAREHOUSE_BI_READER_PASSWORD is set, but this login may not change ${BI_READER_LOGIN}'s password (no CREATEROLE): have a database administrator set it, and unset WAREHOUSE_BI_READER_PASSWORD`);
    }
    return;
  }
  await runner.query(createRoleIfMissing(BI_READER_LOGIN, 'LOGIN'));
  await runner.query(`GRANT ${reader} TO ${quoteIdentifier(BI_READER_LOGIN)}`);
  await runner.query(`ALTER ROLE ${quoteIdentifier(BI_READER_LOGIN)} SET statement_timeout = ${literal(BI_READER_STATEMENT_TIMEOUT)}`);
  if (password === undefined) return;
  // The server quotes the password (format %L); it is never spliced into SQL text here.
  const [alter] = await queryRows<{ statement: string }>(runner, `SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', $1::text, $2::text) AS statement`, [
    BI_READER_LOGIN,
    password,
  ]);
  if (!alter) throw new Error('format() returned no row');
  await runner.query(alter.statement);
}
