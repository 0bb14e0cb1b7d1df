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
 * What a field's values are bounded by, declared once in the contract and derived into the
 * validation, the Avro field's doc and the warehouse column (varchar(n), CHECK), so a value
 * that passes ingestion always fits its column.
 */
export type FieldBounds =
  | { readonly kind: 'string'; readonly maxLength: number }
  /** min/max as declared by the domain (absent: only finite); the column type's own range is not repeated. */
  | { readonly kind: 'number'; readonly min?: number; readonly max?: number };

/**
 * One field of a contract, defined once. Everything else derives from it:
 * the TypeScript type (through `value`), runtime validation of typed input
 * (`value`) and of text input such as CSV cells (`text`), the Avro type, and
 * the PostgreSQL column type.
 */
export interface Field<T> {
  readonly value: z.ZodType<T>;
  /**
   * A quick test, true only for an input `value` returns as it is (so no field accepts undefined).
   * Decoding validates every consumed record: the zod parse cost a consumer ~12 % of its CPU at 100,000
   * records/s. False decides nothing: `value` then gives the verdict and its reasons.
   */
  readonly accepts: (input: unknown) => boolean;
  readonly text: z.ZodType<T>;
  /**
   * The text quick path (CSV cells): what `text` gives for the cell, or undefined when this cannot
   * tell (then `text` decides, with its reasons). The zod text parse was 16 % of a CSV replay's CPU.
   */
  readonly fromText: (cell: unknown) => T | undefined;
  readonly avro: AvroType;
  readonly sql: string;
  readonly nullable: boolean;
  /** What the field means (no bound: see boundDoc). */
  readonly doc?: string;
  readonly bounds?: FieldBounds;
  /** The bound in words ("at most 128 characters", "0 to 1"), appended to the doc wherever it is shown. */
  readonly boundDoc?: string;
}

export type FieldShape = Record<string, Field<unknown>>;
export type ValueOf<F> = F extends Field<infer T> ? T : never;
export type ShapeValue<S extends FieldShape> = { [K in keyof S]: ValueOf<S[K]> };

interface NumberBounds {
  min?: number;
  max?: number;
  doc?: string;
}

/** A bound's part of the doc: "0 to 1", "at least 0", "at most 2000". */
function rangeDoc(min: number | undefined, max: number | undefined): string | undefined {
  if (min !== undefined && max !== undefined) return `${min} to ${max}`;
  if (min !== undefined) return `at least ${min}`;
  if (max !== undefined) return `at most ${max}`;
  return undefined;
}

/** A field's doc with its bound, as the Avro schema, column comments and table docs show it. */
export function withBoundDoc(doc: string | undefined, bound: string | undefined): string | undefined {
  const parts = [doc, bound].filter((part): part is string => part !== undefined && part !== '');
  return parts.length > 0 ? parts.join('; ') : undefined;
}

function boundDocOf(bound: string | undefined): { boundDoc?: string } {
  return bound === undefined ? {} : { boundDoc: bound };
}

function bounded(schema: z.ZodNumber, min: number | undefined, max: number | undefined): z.ZodNumber {
  let result = schema;
  if (min !== undefined) result = result.min(min, `must be at least ${min}`);
  if (max !== undefined) result = result.max(max, `must be at most ${max}`);
  return result;
}

/** Zod refuses Infinity and NaN as numbers; this says so in words ("1e999" in a CSV parses to Infinity). */
function finiteNumber(): z.ZodNumber {
  return z.number({ error: (issue) => (typeof issue.input === 'number' ? 'must be a finite number' : undefined) });
}

/** Text cells: blank means missing, numbers parse strictly (no "12abc"). */
const NUMERIC_TEXT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const numericText = z.string().trim().min(1, 'is empty').regex(NUMERIC_TEXT, 'is not a number');

/** A text quick path from a cell conversion and the field's quick test: the converted value where the test passes it. */
function quickText<T>(convert: (cell: string) => T | undefined, accepts: (input: unknown) => boolean): (cell: unknown) => T | undefined {
  return (cell) => {
    if (typeof cell !== 'string') return undefined;
    const value = convert(cell.trim());
    return value !== undefined && accepts(value) ? value : undefined;
  };
}

/**
 * A number field. `declared` bounds are the domain's (validated, documented, CHECKed in the
 * warehouse); `typeRange` is what the wire or column type holds anyway (validated only).
 * Every number is finite (finiteNumber).
 */
function numberField(avro: 'double' | 'long' | 'int', sql: string, base: z.ZodNumber, declared: NumberBounds, typeRange: { min?: number; max?: number } = {}): Field<number> {
  const min = declared.min ?? typeRange.min;
  const max = declared.max ?? typeRange.max;
  const value = bounded(base, min, max);
  const integer = avro !== 'double';
  const bounds: FieldBounds = { kind: 'number', ...(declared.min !== undefined ? { min: declared.min } : {}), ...(declared.max !== undefined ? { max: declared.max } : {}) };
  const accepts = (input: unknown) => isFiniteNumber(input, integer) && (min === undefined || input >= min) && (max === undefined || input <= max);
  return {
    value,
    accepts,
    text: numericText.transform(Number).pipe(value),
    fromText: quickText((cell) => (NUMERIC_TEXT.test(cell) ? Number(cell) : undefined), accepts),
    avro,
    sql,
    nullable: false,
    doc: declared.doc,
    bounds,
    ...boundDocOf(rangeDoc(declared.min, declared.max)),
  };
}

const ZERO = 48;

/** The value of the `count` decimal digits of `text` at `from`; -1 if any is not a digit. */
function digitsAt(text: string, from: number, count: number): number {
  let value = 0;
  for (let index = from; index < from + count; index++) {
    const digit = text.charCodeAt(index) - ZERO;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * `YYYY-MM-DDTHH:MM:SS[.s|.ss|.sss]Z` (what toISOString and most exporters write) as epoch millis without
 * Date.parse, which cost 4 % of a CSV replay's CPU; undefined for anything else, which Date.parse then reads.
 * Days past 28 are left to Date.parse too, so what a month holds is its decision alone (the spec holds the two equal).
 */
export function utcIsoMillis(text: string): number | undefined {
  const length = text.length;
  if (length !== 20 && (length < 22 || length > 24)) return undefined;
  if (text[length - 1] !== 'Z') return undefined;
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':') return undefined;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 28 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  let millis = 0;
  if (length > 20) {
    if (text[19] !== '.') return undefined;
    const fraction = digitsAt(text, 20, length - 21);
    if (fraction < 0) return undefined;
    millis = fraction * (length === 22 ? 100 : length === 23 ? 10 : 1);
  }
  return daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + millis;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil; years from 1970 here). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** Epoch milliseconds; text accepts epoch millis or an ISO-8601 timestamp with a zone. */
function timestampField(doc?: string): Field<number> {
  const value = finiteNumber().int().min(0, 'is before 1970').max(253402300799999, 'is after year 9999');
  const millisOf = (cell: string) => utcIsoMillis(cell) ?? (/^\d+$/.test(cell) ? Number(cell) : /[zZ]|[+-]\d\d:?\d\d$/.test(cell) ? Date.parse(cell) : Number.NaN);
  const text = z
    .string()
    .trim()
    .min(1, 'is empty')
    .transform((cell, context) => {
      const millis = millisOf(cell);
      if (Number.isNaN(millis)) {
        context.addIssue({ code: 'custom', message: 'is not epoch millis or an ISO-8601 timestamp with a zone' });
        return z.NEVER;
      }
      return millis;
    })
    .pipe(value);
  const accepts = (input: unknown) => isFiniteNumber(input, true) && input >= 0 && input <= 253402300799999;
  return { value, accepts, text, fromText: quickText(millisOf, accepts), avro: { type: 'long', logicalType: 'timestamp-millis' }, sql: 'timestamptz', nullable: false, doc };
}

/** Longest enum symbol, rounded up: an enum column is varchar too, so a new symbol fits without a migration. */
function enumLength(symbols: readonly string[]): number {
  let longest = 0;
  for (const symbol of symbols) longest = Math.max(longest, symbol.length);
  return Math.max(32, Math.ceil(longest / 16) * 16);
}

export const field = {
  /**
   * Text of at most `maxLength` characters (UTF-16 code units, so never more characters than
   * PostgreSQL counts for varchar(n)). NUL is refused: PostgreSQL text cannot hold it.
   */
  string(options: { maxLength: number; minLength?: number; doc?: string }): Field<string> {
    const { maxLength } = options;
    if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > 10485760) throw new RangeError(`maxLength must be an integer in 1..10485760, got ${maxLength}`);
    const value = z
      .string()
      .min(options.minLength ?? 1, 'is empty')
      .max(maxLength, `is longer than ${maxLength} characters`)
      .refine((text) => !text.includes('\u0000'), 'contains a NUL character');
    const minLength = options.minLength ?? 1;
    const accepts = (input: unknown) => typeof input === 'string' && input.length >= minLength && input.length <= maxLength && !input.includes('\u0000');
    return {
      value,
      accepts,
      text: z.string().trim().pipe(value),
      fromText: quickText((cell) => cell, accepts),
      avro: 'string',
      sql: `varchar(${maxLength})`,
      nullable: false,
      doc: options.doc,
      bounds: { kind: 'string', maxLength },
      boundDoc: `at most ${maxLength} characters`,
    };
  },
  /** A finite double; declare min/max where the domain has them. */
  double(bounds: NumberBounds = {}): Field<number> {
    return numberField('double', 'double precision', finiteNumber(), bounds);
  },
  /**
   * A measure landed as exact numeric(20, scale): averages, money. Travels as Avro double.
   * Without declared bounds it is held to ±10^(19-scale), which numeric(20, scale) always holds.
   */
  measure(scale: number, bounds: NumberBounds = {}): Field<number> {
    const limit = 10 ** (19 - scale);
    return numberField('double', `numeric(20,${scale})`, finiteNumber(), bounds, { min: -limit, max: limit });
  },
  int(bounds: NumberBounds = {}): Field<number> {
    return numberField('int', 'integer', finiteNumber().int(), bounds, { min: -2147483648, max: 2147483647 });
  },
  long(bounds: NumberBounds = {}): Field<number> {
    return numberField('long', 'bigint', finiteNumber().int(), bounds, { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
  },
  timestamp: timestampField,
  enumOf<const Symbols extends readonly [string, ...string[]]>(name: string, symbols: Symbols, doc?: string): Field<Symbols[number]> {
    const value = z.enum(symbols);
    const maxLength = enumLength(symbols);
    const known = new Set<unknown>(symbols);
    const accepts = (input: unknown): input is Symbols[number] => typeof input === 'string' && known.has(input);
    return {
      value,
      accepts,
      text: z.string().trim().pipe(value),
      fromText: quickText((cell) => cell, accepts),
      avro: { type: 'enum', name, symbols },
      sql: `varchar(${maxLength})`,
      nullable: false,
      doc,
      bounds: { kind: 'string', maxLength },
    };
  },
  record<const S extends FieldShape>(name: string, shape: S, doc?: string): Field<ShapeValue<S>> {
    const value = objectSchema(shape, 'value');
    return {
      value,
      accepts: acceptsObject(shape),
      // Nested records have no single text cell: text sources give an object of cells
      // (a CSV replay maps dotted columns such as `location.latitude` to it).
      text: objectSchema(shape, 'text'),
      fromText: objectFromText(shape),
      avro: { type: 'record', name, fields: avroFields(shape) },
      sql: 'jsonb',
      nullable: false,
      doc,
    };
  },
  nullable<T>(inner: Field<T>): Field<T | null> {
    return {
      value: inner.value.nullable(),
      accepts: (input) => input === null || inner.accepts(input),
      text: z.union([z.string().trim().length(0).transform(() => null), inner.text]),
      // A blank cell is null, as the union's first branch says; anything else is the inner field's.
      fromText: (cell) => (typeof cell === 'string' && cell.trim() === '' ? null : inner.fromText(cell)),
      avro: ['null', inner.avro],
      sql: inner.sql,
      nullable: true,
      doc: inner.doc,
      ...(inner.bounds ? { bounds: inner.bounds } : {}),
      ...boundDocOf(inner.boundDoc),
    };
  },
};

export function objectSchema<S extends FieldShape>(shape: S, mode: 'value' | 'text'): z.ZodType<ShapeValue<S>> {
  const entries = Object.entries(shape).map(([name, definition]) => [name, mode === 'value' ? definition.value : definition.text]);
  return z.strictObject(Object.fromEntries(entries)) as unknown as z.ZodType<ShapeValue<S>>;
}

function isFiniteNumber(input: unknown, integer: boolean): input is number {
  return typeof input === 'number' && (integer ? Number.isSafeInteger(input) : Number.isFinite(input));
}

/**
 * The quick test of a strict object of `shape` (see Field.accepts): every field there and
 * accepted, no other enumerable key. Decoded Avro records are class instances without methods; their own keys are the fields.
 */
export function acceptsObject(shape: FieldShape): (input: unknown) => boolean {
  const fields = Object.entries(shape);
  return (input) => {
    if (!hasOnlyOwnKeys(input, fields.length)) return false;
    for (const [name, definition] of fields) if (!definition.accepts(input[name])) return false;
    return true;
  };
}

/** A plain object with `count` own enumerable keys and no inherited ones (with `count` fields each present, exactly the fields). */
function hasOnlyOwnKeys(input: unknown, count: number): input is Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return false;
  let keys = 0;
  for (const name in input) {
    if (!Object.prototype.hasOwnProperty.call(input, name)) return false;
    keys += 1;
  }
  return keys === count;
}

/**
 * The text quick path of a strict object of `shape` (see Field.fromText): every field there and
 * converted, no other key; undefined leaves the verdict to the zod text schema.
 */
export function objectFromText<S extends FieldShape>(shape: S): (row: unknown) => ShapeValue<S> | undefined {
  const names = Object.keys(shape);
  const fromFieldTexts = objectFromFieldTexts(shape);
  return (row) => (hasOnlyOwnKeys(row, names.length) ? fromFieldTexts((index) => row[names[index]]) : undefined);
}

/**
 * The text quick path from each field's text, `textOf(i)` for the shape's i-th field (its order in the shape):
 * objectFromText's, for a caller that holds the texts another way (a CSV row's cells by column).
 */
export function objectFromFieldTexts<S extends FieldShape>(shape: S): (textOf: (index: number) => unknown) => ShapeValue<S> | undefined {
  const fields = Object.entries(shape);
  return (textOf) => {
    const value: Record<string, unknown> = {};
    for (let index = 0; index < fields.length; index++) {
      const [name, definition] = fields[index];
      const converted = definition.fromText(textOf(index));
      if (converted === undefined) return undefined;
      value[name] = converted;
    }
    return value as ShapeValue<S>;
  };
}

export function avroFields(shape: FieldShape): AvroField[] {
  return Object.entries(shape).map(([name, definition]) => ({
    name,
    type: definition.avro,
    ...docOf(withBoundDoc(definition.doc, definition.boundDoc)),
    ...(definition.nullable ? { default: null } : {}),
  }));
}

function docOf(doc: string | undefined): { doc?: string } {
  return doc === undefined ? {} : { doc };
}
