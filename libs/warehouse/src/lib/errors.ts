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

/** The database roles are not what the warehouse needs and this login cannot fix them: an administrator must. */
export class WarehouseRoleError extends Error {
  /** Only a change of roles or settings fixes it: waiting does not. */
  readonly retriable = false;
  constructor(message: string) {
    super(message);
    this.name = 'WarehouseRoleError';
  }
}
