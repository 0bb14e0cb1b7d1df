import type { Contract } from './contract';
import type { FieldShape, ShapeValue } from './fields';
import { columnName } from './naming';

export interface TableColumn {
  field: string;
  column: string;
  sql: string;
  nullable: boolean;
  doc?: string;
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

export function defineWarehouseTable<S extends FieldShape>(definition: {
  name: string;
  contract: Contract<S>;
  naturalKey: readonly (keyof S & string)[];
  /** Extra indexes (the natural key is the primary key), e.g. [['windowStart']]. */
  indexes?: readonly (readonly (keyof S & string)[])[];
  doc: string;
}): WarehouseTable<S> {
  const columns: TableColumn[] = Object.entries(definition.contract.fields).map(([fieldName, spec]) => ({
    field: fieldName,
    column: columnName(fieldName),
    sql: spec.sql,
    nullable: spec.nullable,
    doc: spec.doc,
  }));
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
      const columnSql = columns.map((column) => `  ${quote(column.column)} ${column.sql}${column.nullable ? '' : ' NOT NULL'}`);
      const statements = [
        `CREATE TABLE IF NOT EXISTS ${table} (\n${columnSql.join(',\n')},\n  PRIMARY KEY (${keyColumns.join(', ')})\n)`,
        `COMMENT ON TABLE ${table} IS '${definition.doc.replace(/'/g, "''")}'`,
      ];
      for (const index of definition.indexes ?? []) {
        const indexColumns = index.map((fieldName) => columnName(fieldName));
        statements.push(`CREATE INDEX IF NOT EXISTS ${quote(`${definition.name}_${indexColumns.join('_')}_idx`)} ON ${table} (${indexColumns.map(quote).join(', ')})`);
      }
      for (const column of columns) {
        if (column.doc) statements.push(`COMMENT ON COLUMN ${table}.${quote(column.column)} IS '${column.doc.replace(/'/g, "''")}'`);
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
          return `$${values.length}::${column.sql}`;
        });
        return `(${placeholders.join(', ')})`;
      });
      const text = `INSERT INTO ${table} (${columns.map((column) => quote(column.column)).join(', ')}) VALUES ${tuples.join(', ')} ${onConflict}`;
      return { text, values };
    },
  };
}
