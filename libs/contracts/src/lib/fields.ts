import { z } from 'zod';

/** Avro type JSON as the registry and avsc understand it. */
export type AvroType =
  | 'string'
  | 'double'
  | 'long'
  | 'int'
  | 'boolean'
  | { type: 'long'; logicalType: 'timestamp-millis' }
  | { type: 'enum'; name: string; symbols: readonly string[] }
  | { type: 'record'; name: string; fields: AvroField[] }
  | readonly ['null', AvroType];

export interface AvroField {
  name: string;
  type: AvroType;
  doc?: string;
  default?: null;
}

/**
 * One field of a contract, defined once. Everything else derives from it:
 * the TypeScript type (through `value`), runtime validation of typed input
 * (`value`) and of text input such as CSV cells (`text`), the Avro type, and
 * the PostgreSQL column type.
 */
export interface Field<T> {
  readonly value: z.ZodType<T>;
  readonly text: z.ZodType<T>;
  readonly avro: AvroType;
  readonly sql: string;
  readonly nullable: boolean;
  readonly doc?: string;
}

export type FieldShape = Record<string, Field<unknown>>;
export type ValueOf<F> = F extends Field<infer T> ? T : never;
export type ShapeValue<S extends FieldShape> = { [K in keyof S]: ValueOf<S[K]> };

interface NumberBounds {
  min?: number;
  max?: number;
  doc?: string;
}

function bounded(schema: z.ZodNumber, bounds: NumberBounds): z.ZodNumber {
  let result = schema;
  if (bounds.min !== undefined) result = result.min(bounds.min);
  if (bounds.max !== undefined) result = result.max(bounds.max);
  return result;
}

/** Text cells: blank means missing, numbers parse strictly (no "12abc"). */
const numericText = z.string().trim().min(1, 'is empty').regex(/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, 'is not a number');

function numberField(avro: 'double' | 'long' | 'int', sql: string, base: z.ZodNumber, bounds: NumberBounds): Field<number> {
  const value = bounded(base, bounds);
  return { value, text: numericText.transform(Number).pipe(value), avro, sql, nullable: false, doc: bounds.doc };
}

/** Epoch milliseconds; text accepts epoch millis or an ISO-8601 timestamp with a zone. */
function timestampField(doc?: string): Field<number> {
  const value = z.number().int().min(0, 'is before 1970').max(253402300799999, 'is after year 9999');
  const text = z
    .string()
    .trim()
    .min(1, 'is empty')
    .transform((cell, context) => {
      const millis = /^\d+$/.test(cell) ? Number(cell) : /[zZ]|[+-]\d\d:?\d\d$/.test(cell) ? Date.parse(cell) : Number.NaN;
      if (Number.isNaN(millis)) {
        context.addIssue({ code: 'custom', message: 'is not epoch millis or an ISO-8601 timestamp with a zone' });
        return z.NEVER;
      }
      return millis;
    })
    .pipe(value);
  return { value, text, avro: { type: 'long', logicalType: 'timestamp-millis' }, sql: 'timestamptz', nullable: false, doc };
}

export const field = {
  string(options: { minLength?: number; doc?: string } = {}): Field<string> {
    const value = z.string().min(options.minLength ?? 1, 'is empty');
    return { value, text: z.string().trim().pipe(value), avro: 'string', sql: 'text', nullable: false, doc: options.doc };
  },
  double(bounds: NumberBounds = {}): Field<number> {
    return numberField('double', 'double precision', z.number(), bounds);
  },
  /** A measure landed as exact numeric(20, scale): averages, money. Travels as Avro double. */
  measure(scale: number, bounds: NumberBounds = {}): Field<number> {
    return numberField('double', `numeric(20,${scale})`, z.number(), bounds);
  },
  int(bounds: NumberBounds = {}): Field<number> {
    return numberField('int', 'integer', z.number().int(), { min: -2147483648, max: 2147483647, ...bounds });
  },
  long(bounds: NumberBounds = {}): Field<number> {
    return numberField('long', 'bigint', z.number().int(), { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, ...bounds });
  },
  timestamp: timestampField,
  enumOf<const Symbols extends readonly [string, ...string[]]>(name: string, symbols: Symbols, doc?: string): Field<Symbols[number]> {
    const value = z.enum(symbols);
    return { value, text: z.string().trim().pipe(value), avro: { type: 'enum', name, symbols }, sql: 'text', nullable: false, doc };
  },
  record<const S extends FieldShape>(name: string, shape: S, doc?: string): Field<ShapeValue<S>> {
    const value = objectSchema(shape, 'value');
    return {
      value,
      // Nested records have no single text cell: text sources give an object of cells
      // (a CSV replay maps dotted columns such as `location.latitude` to it).
      text: objectSchema(shape, 'text'),
      avro: { type: 'record', name, fields: avroFields(shape) },
      sql: 'jsonb',
      nullable: false,
      doc,
    };
  },
  nullable<T>(inner: Field<T>): Field<T | null> {
    return {
      value: inner.value.nullable(),
      text: z.union([z.string().trim().length(0).transform(() => null), inner.text]),
      avro: ['null', inner.avro],
      sql: inner.sql,
      nullable: true,
      doc: inner.doc,
    };
  },
};

export function objectSchema<S extends FieldShape>(shape: S, mode: 'value' | 'text'): z.ZodType<ShapeValue<S>> {
  const entries = Object.entries(shape).map(([name, definition]) => [name, mode === 'value' ? definition.value : definition.text]);
  return z.strictObject(Object.fromEntries(entries)) as unknown as z.ZodType<ShapeValue<S>>;
}

export function avroFields(shape: FieldShape): AvroField[] {
  return Object.entries(shape).map(([name, definition]) => ({
    name,
    type: definition.avro,
    ...(definition.doc ? { doc: definition.doc } : {}),
    ...(definition.nullable ? { default: null } : {}),
  }));
}
