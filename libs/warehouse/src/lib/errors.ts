import { messageOf, sqlStateOf, TransientError } from '@pipeline/streaming';
import { quoteIdentifier, WAREHOUSE_WRITER_ROLE } from './warehouse-settings';

/**
 * Migrating the warehouse schema failed; names the schema and keeps the database's error as cause. A login
 * that may not migrate (insufficient_privilege: a member of warehouse_writer only) is told what to do instead.
 */
export class WarehouseMigrationError extends Error {
  constructor(
    readonly schema: string,
    cause: unknown,
  ) {
    const hint =
      sqlStateOf(cause) === '42501'
        ? ' (the login of DATABASE_URL may not migrate the warehouse: migrate as its owner login; a sink signed in as warehouse_sink needs WAREHOUSE_MIGRATE_ON_START=false, and `npm run warehouse:migrate` run with the owner\'s URL first)'
        : '';
    super(`migrating warehouse schema "${schema}" failed: ${messageOf(cause)}${hint}`, { cause });
    this.name = 'WarehouseMigrationError';
  }
}

/**
 * A sink that does not migrate (WAREHOUSE_MIGRATE_ON_START=false) found the tables missing or older than the
 * contracts: the migrations have not run yet (the migration job is still running, or was forgotten). Retriable,
 * so the sink waits at start-up (logged, /health not ready) instead of landing into the wrong tables.
 */
export class WarehouseNotMigratedError extends TransientError {
  constructor(
    readonly schema: string,
    readonly problems: readonly string[],
  ) {
    super('warehouse-not-migrated', `warehouse schema "${schema}" is not migrated (${problems.join('; ')}): run \`npm run warehouse:migrate\` (or the warehouse-migrate Job) with the owner's DATABASE_URL`);
    this.name = 'WarehouseNotMigratedError';
  }
}

/** What the session's role lacks to land: privileges on tables, and TEMPORARY on the database (each batch is staged in a temporary table). */
export interface MissingLandingPrivileges {
  /** `<PRIVILEGE> on <table>`, in table order. */
  readonly tables: readonly string[];
  /** The database's name, when TEMPORARY is missing there. */
  readonly temporaryOnDatabase?: string;
}

/**
 * A sink that does not migrate found its tables migrated but its role without a privilege landing needs (revoked,
 * or tables made outside the migrations). Retriable, like a migration still to come: the sink waits at start-up.
 */
export class WarehouseNotWritableError extends TransientError {
  constructor(
    readonly schema: string,
    readonly missing: MissingLandingPrivileges,
  ) {
    const database = missing.temporaryOnDatabase;
    const lacking = [...missing.tables, ...(database !== undefined ? [`TEMPORARY on database ${quoteIdentifier(database)}`] : [])];
    const grants = [
      ...(missing.tables.length > 0 ? [`GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA ${quoteIdentifier(schema)} TO ${WAREHOUSE_WRITER_ROLE}`] : []),
      ...(database !== undefined ? [`GRANT TEMPORARY ON DATABASE ${quoteIdentifier(database)} TO ${WAREHOUSE_WRITER_ROLE}`] : []),
    ];
    super('warehouse-not-writable', `the sink's role may not land into warehouse schema "${schema}" (missing ${lacking.join(', ')}): as the owner, ${grants.join('; ')}`);
    this.name = 'WarehouseNotWritableError';
  }
}

/** The tables in the database differ from what the contracts define; lists every difference. */
export class WarehouseSchemaDriftError extends Error {
  constructor(
    readonly schema: string,
    readonly problems: readonly string[],
  ) {
    super(`warehouse schema "${schema}" does not match the contracts (add a migration): ${problems.join('; ')}`);
    this.name = 'WarehouseSchemaDriftError';
  }
}

/**
 * COPY … FROM STDIN failed; names the statement and how many rows it carried. It keeps the
 * database's error as cause and says nothing of its own class, so the streaming runtime's
 * error policy classifies the cause (an SQLSTATE, a lost connection).
 */
export class WarehouseCopyError extends Error {
  constructor(
    readonly statement: string,
    readonly rows: number,
    cause: unknown,
  ) {
    super(`${statement} (${rows} rows) failed: ${messageOf(cause)}`, { cause });
    this.name = 'WarehouseCopyError';
  }
}

/** The database roles are not what the warehouse needs and this login cannot fix them: an administrator must. */
export class WarehouseRoleError extends Error {
  /** Only a change of roles or settings fixes it: waiting does not. */
  readonly retriable = false;
  constructor(message: string) {
    super(message);
    this.name = 'WarehouseRoleError';
  }
}
