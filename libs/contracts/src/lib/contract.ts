import type { z } from 'zod';
import { acceptsObject, avroFields, objectFromText, objectSchema, type AvroField, type FieldShape, type ShapeValue } from './fields';

/** A value or a text row broke its contract; says which contract and every field that is wrong. */
export class ContractViolationError extends Error {
  /** A value that breaks its contract never will pass: dead-letter it, never retry. */
  readonly retriable = false;
  readonly reasonClass = 'contract';
  constructor(
    readonly contract: string,
    readonly problems: string[],
  ) {
    super(`${contract}: ${problems.join('; ')}`);
    this.name = 'ContractViolationError';
  }
}

/** Text cells by column; a nested record's cells form a nested row. */
export interface TextRow {
  [column: string]: string | undefined | TextRow;
}

export interface AvroRecordSchema {
  type: 'record';
  name: string;
  namespace: string;
  doc?: string;
  fields: AvroField[];
}

export interface Contract<S extends FieldShape> {
  readonly name: string;
  readonly namespace: string;
  readonly fields: S;
  readonly avroSchema: AvroRecordSchema;
  /** Validates a typed value (from JSON, Avro or code); throws ContractViolationError. */
  parse(value: unknown): ShapeValue<S>;
  /** Validates and converts a row of text cells (CSV); throws ContractViolationError. */
  parseText(row: TextRow): ShapeValue<S>;
}

/** The TypeScript type of a contract's values. */
export type ContractValue<C> = C extends Contract<infer S> ? ShapeValue<S> : never;

function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.join('.');
    return path ? `${path} ${issue.message}` : issue.message;
  });
}

export function defineContract<const S extends FieldShape>(definition: { name: string; namespace: string; doc?: string; fields: S }): Contract<S> {
  const valueSchema = objectSchema(definition.fields, 'value');
  const textSchema = objectSchema(definition.fields, 'text');
  const accepts = acceptsObject(definition.fields);
  const fromText = objectFromText(definition.fields);
  const run = (schema: z.ZodType<ShapeValue<S>>, input: unknown): ShapeValue<S> => {
    const result = schema.safeParse(input);
    if (!result.success) throw new ContractViolationError(definition.name, problemsOf(result.error));
    return result.data;
  };
  return {
    name: definition.name,
    namespace: definition.namespace,
    fields: definition.fields,
    avroSchema: {
      type: 'record',
      name: definition.name,
      namespace: definition.namespace,
      ...(definition.doc ? { doc: definition.doc } : {}),
      fields: avroFields(definition.fields),
    },
    // A value that passes the quick test is returned as it is; anything else gets zod's verdict and reasons.
    parse: (value) => (accepts(value) ? (value as ShapeValue<S>) : run(valueSchema, value)),
    parseText: (row) => fromText(row) ?? run(textSchema, row),
  };
}
