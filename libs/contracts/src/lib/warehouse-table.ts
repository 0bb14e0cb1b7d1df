import type { Contract } from './contract';
import { withBoundDoc, type FieldBounds, type FieldShape, type ShapeValue } from './fields';
import { columnName } from './naming';

export interface TableColumn {
  field: string;
  column: string;
  sql: string;
  nullable: boolean;
  /** What the column means (from the contract field's doc). */
  doc?: string;
  /** The field's bound in words ("at most 128 characters", "0 to 1"). */
  bound?: string;
  /** CHECK expression of the field's declared range (numbers only; strings are bounded by varchar(n)). */
  check?: string;
}

/** A parameterised statement for pg / TypeORM's query runner. */
export interface SqlStatement {
  text: string;
  values: unknown[];
}

/**
 * A warehouse table landing one contract. Its DDL and upsert derive from the
 * contract's fields, so a column can never drift from the record it stores.
 */
export interface WarehouseTable<S extends FieldShape> {
  readonly name: string;
  readonly contract: Contract<S>;
  readonly naturalKey: readonly (keyof S & string)[];
  readonly columns: readonly TableColumn[];
  readonly doc: string;
  /** CREATE TABLE + indexes + comments, idempotent. */
  createStatements(): string[];
  /** `ON CONFLICT (natural key) DO UPDATE SET …` (DO NOTHING without other columns): the upsert rule, shared by every way of landing rows. */
  readonly onConflict: string;
  /** The row's natural key as one string: rows with equal keys land on one table row. */
  keyOf(row: ShapeValue<S>): string;
  /**
   * Brings an existing table's columns to the contract's bounds: column types (varchar(n)) and
   * CHECK constraints, idempotent (a migration of tables created before the bounds existed).
   */
  boundStatements(): string[];
  /** One INSERT … ON CONFLICT (natural key) DO UPDATE for all rows (last one wins for equal keys). */
  upsert(rows: readonly ShapeValue<S>[]): SqlStatement;
}

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

/** A contract value as PostgreSQL takes it for a column of this SQL type (epoch millis as ISO-8601, records as JSON text). */
export function toSqlValue(sqlType: string, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (sqlType === 'timestamptz') return new Date(value as number).toISOString();
  if (sqlType === 'jsonb') return JSON.stringify(value);
  return value;
}

/**
 * The CHECK of a number's declared range. 'Infinity' and NaN pass a column type but no range,
 * and even without a declared range a double column must hold a finite number.
 */
export function boundCheck(column: string, sqlType: string, bounds: FieldBounds | undefined): string | undefined {
  if (bounds?.kind !== 'number') return undefined;
  const name = quote(column);
  const parts: string[] = [];
  if (bounds.min !== undefined) parts.push(`${name} >= ${String(bounds.min)}`);
  if (bounds.max !== undefined) parts.push(`${name} <= ${String(bounds.max)}`);
  // NaN sorts above 'Infinity' in PostgreSQL, so "< 'Infinity'" refuses both.
  if (sqlType === 'double precision') {
    if (bounds.max === undefined) parts.push(`${name} < 'Infinity'::float8`);
    if (bounds.min === undefined) parts.push(`${name} > '-Infinity'::float8`);
  }
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}

/** Name of a column's bound constraint: <table>_<column>_bound, cut to PostgreSQL's 63 characters. */
function checkName(table: string, column: string): string {
  return `${table}_${column}`.slice(0, 57) + '_bound';
}

/** An explicit cast to varchar(n) silently truncates; cast to varchar so the column refuses an overlong value (22001). */
function castType(sqlType: string): string {
  return sqlType.startsWith('varchar(') ? 'varchar' : sqlType;
}

function commentOf(table: string, column: TableColumn): string | undefined {
  const doc = withBoundDoc(column.doc, column.bound);
  return doc === undefined ? undefined : `COMMENT ON COLUMN ${table}.${quote(column.column)} IS '${doc.replace(/'/g, "''")}'`;
}

export function defineWarehouseTable<S extends FieldShape>(definition: {
  name: string;
  contract: Contract<S>;
  naturalKey: readonly (keyof S & string)[];
  /** Extra indexes (the natural key is the primary key), e.g. [['windowStart']]. */
  indexes?: readonly (readonly (keyof S & string)[])[];
  doc: string;
}): WarehouseTable<S> {
  const columns: TableColumn[] = Object.entries(definition.contract.fields).map(([fieldName, spec]) => {
    const column = columnName(fieldName);
    const check = boundCheck(column, spec.sql, spec.bounds);
    return {
      field: fieldName,
      column,
      sql: spec.sql,
      nullable: spec.nullable,
      ...(spec.doc !== undefined ? { doc: spec.doc } : {}),
      ...(spec.boundDoc !== undefined ? { bound: spec.boundDoc } : {}),
      ...(check ? { check } : {}),
    };
  });
  const table = quote(definition.name);
  const keyColumns = definition.naturalKey.map((key) => quote(columnName(key)));
  const updatable = columns.filter((column) => !definition.naturalKey.includes(column.field));
  const assignments = updatable.map((column) => `${quote(column.column)} = EXCLUDED.${quote(column.column)}`);
  const onConflict = `ON CONFLICT (${keyColumns.join(', ')}) ` + (assignments.length > 0 ? `DO UPDATE SET ${assignments.join(', ')}` : 'DO NOTHING');
  const keyOf = (row: ShapeValue<S>) => JSON.stringify(definition.naturalKey.map((key) => row[key]));

  return {
    name: definition.name,
    contract: definition.contract,
    naturalKey: definition.naturalKey,
    columns,
    doc: definition.doc,
    onConflict,
    keyOf,
    createStatements() {
      const columnSql = columns.map(
        (column) =>
          `  ${quote(column.column)} ${column.sql}${column.nullable ? '' : ' NOT NULL'}` +
          (column.check ? ` CONSTRAINT ${quote(checkName(definition.name, column.column))} CHECK (${column.check})` : ''),
      );
      const statements = [
        `CREATE TABLE IF NOT EXISTS ${table} (\n${columnSql.join(',\n')},\n  PRIMARY KEY (${keyColumns.join(', ')})\n)`,
        `COMMENT ON TABLE ${table} IS '${definition.doc.replace(/'/g, "''")}'`,
      ];
      for (const index of definition.indexes ?? []) {
        const indexColumns = index.map((fieldName) => columnName(fieldName));
        statements.push(`CREATE INDEX IF NOT EXISTS ${quote(`${definition.name}_${indexColumns.join('_')}_idx`)} ON ${table} (${indexColumns.map(quote).join(', ')})`);
      }
      for (const column of columns) {
        const comment = commentOf(table, column);
        if (comment) statements.push(comment);
      }
      return statements;
    },
    boundStatements() {
      const statements: string[] = [];
      for (const column of columns) {
        const quoted = quote(column.column);
        // text -> varchar(n) needs no rewrite; a longer existing value makes it fail, naming the column.
        if (column.sql.startsWith('varchar(')) statements.push(`ALTER TABLE ${table} ALTER COLUMN ${quoted} TYPE ${column.sql}`);
        const constraint = quote(checkName(definition.name, column.column));
        statements.push(`ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS ${constraint}`);
        if (column.check) statements.push(`ALTER TABLE ${table} ADD CONSTRAINT ${constraint} CHECK (${column.check})`);
        const comment = commentOf(table, column);
        if (comment) statements.push(comment);
      }
      return statements;
    },
    upsert(rows) {
      // Postgres rejects two rows with the same key in one INSERT … ON CONFLICT; keep the last.
      const byKey = new Map<string, ShapeValue<S>>();
      for (const row of rows) byKey.set(keyOf(row), row);
      const values: unknown[] = [];
      const tuples = [...byKey.values()].map((row) => {
        const placeholders = columns.map((column) => {
          values.push(toSqlValue(column.sql, row[column.field as keyof S]));
          return `$${values.length}::${castType(column.sql)}`;
        });
        return `(${placeholders.join(', ')})`;
      });
      const text = `INSERT INTO ${table} (${columns.map((column) => quote(column.column)).join(', ')}) VALUES ${tuples.join(', ')} ${onConflict}`;
      return { text, values };
    },
  };
}
