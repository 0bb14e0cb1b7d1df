function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Migrating the warehouse schema failed; names the schema and keeps the database's error as cause. */
export class WarehouseMigrationError extends Error {
  constructor(
    readonly schema: string,
    cause: unknown,
  ) {
    super(`migrating warehouse schema "${schema}" failed: ${messageOf(cause)}`, { cause });
    this.name = 'WarehouseMigrationError';
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
