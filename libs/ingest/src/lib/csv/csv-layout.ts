import { objectFromFieldTexts, type TextRow } from '@pipeline/contracts';
import { EVENT_TIME_FIELD, type EventTimeSource } from '../event-time';
import { admitParsed, type Admission, type EventContract, type EventValue } from '../source';

export class CsvHeaderError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`CSV header of ${file}: ${problems.join('; ')}`);
    this.name = 'CsvHeaderError';
  }
}

/** Where a header column goes in the contract's text row: a field, or a field of a nested record (`location.latitude`). */
type Placement = { column: number; field: string; subField?: string };

/**
 * Where a contract field's text comes from in a row's cells: a column, the injected event time, or (a nested
 * record) one column per sub-field.
 */
type CellSource = { column: number } | { injected: true } | { subColumns: ReadonlyArray<readonly [string, number]> };

function textOf(source: CellSource, cells: readonly string[], injectedTime: number | undefined): unknown {
  if ('column' in source) return cells[source.column];
  if ('injected' in source) return String(injectedTime);
  const nested: TextRow = {};
  for (const [subField, column] of source.subColumns) nested[subField] = cells[column];
  return nested;
}

function subFieldsOf(contract: EventContract<unknown>, field: string): string[] | undefined {
  const avro = contract.fields[field]?.avro;
  return typeof avro === 'object' && !Array.isArray(avro) && 'type' in avro && avro.type === 'record' ? avro.fields.map((sub) => sub.name) : undefined;
}

/**
 * How a CSV file's columns map onto a contract, decided once from the header:
 * the event-time column is renamed to `timestamp`, dotted columns fill nested records,
 * columns the contract does not know are ignored (and reported), and a header that misses
 * a required field fails fast instead of dead-lettering every row.
 */
export class CsvLayout<T extends EventValue> {
  readonly ignoredColumns: string[] = [];
  private readonly placements: Placement[] = [];
  /** Every contract field's source, in the contract's order; undefined when some field has no column (see quickValue). */
  private readonly cellSources: CellSource[] | undefined;
  private readonly fromFieldTexts: (textOf: (index: number) => unknown) => unknown;

  constructor(
    private readonly contract: EventContract<T>,
    readonly header: readonly string[],
    private readonly eventTime: EventTimeSource,
    file: string,
  ) {
    const problems: string[] = [];
    const placed = new Set<string>();
    header.forEach((rawName, column) => {
      const name = rawName.trim();
      const target = eventTime.kind === 'column' && name === eventTime.column ? EVENT_TIME_FIELD : name;
      const [field = '', subField, ...deeper] = target.split('.');
      const subFields = subFieldsOf(contract, field);
      const known = deeper.length === 0 && field in contract.fields && (subField === undefined ? !subFields : subFields?.includes(subField) === true);
      // An injected event time wins over a timestamp column of the file.
      if (!known || (eventTime.kind !== 'column' && field === EVENT_TIME_FIELD)) {
        this.ignoredColumns.push(name);
        return;
      }
      if (placed.has(target)) problems.push(`column "${target}" appears twice`);
      placed.add(target);
      this.placements.push({ column, field, ...(subField === undefined ? {} : { subField }) });
    });
    if (eventTime.kind === 'column' && !header.some((name) => name.trim() === eventTime.column)) {
      problems.push(`has no event-time column "${eventTime.column}" (name another one, or inject the time)`);
    }
    const missing = Object.entries(contract.fields)
      .filter(([field, definition]) => !definition.nullable && !(field === EVENT_TIME_FIELD && eventTime.kind !== 'column'))
      .flatMap(([field]) => subFieldsOf(contract, field)?.map((sub) => `${field}.${sub}`) ?? [field])
      .filter((target) => !placed.has(target) && !(target === EVENT_TIME_FIELD && eventTime.kind === 'column'));
    if (missing.length > 0) problems.push(`misses the column${missing.length > 1 ? 's' : ''} ${missing.map((name) => `"${name}"`).join(', ')} of ${contract.name}`);
    if (problems.length > 0) throw new CsvHeaderError(file, problems);
    this.cellSources = this.cellSourcesOf();
    this.fromFieldTexts = objectFromFieldTexts(contract.fields);
  }

  private cellSourcesOf(): CellSource[] | undefined {
    const sources: CellSource[] = [];
    for (const field of Object.keys(this.contract.fields)) {
      const subFields = subFieldsOf(this.contract, field);
      if (field === EVENT_TIME_FIELD && this.eventTime.kind !== 'column') {
        sources.push({ injected: true });
      } else if (subFields) {
        const subColumns = subFields.map((subField) => [subField, this.placements.find((placement) => placement.field === field && placement.subField === subField)?.column ?? -1] as const);
        if (subColumns.some(([, column]) => column < 0)) return undefined;
        sources.push({ subColumns });
      } else {
        const column = this.placements.find((placement) => placement.field === field)?.column;
        if (column === undefined) return undefined;
        sources.push({ column });
      }
    }
    return sources;
  }

  /**
   * The contract's text quick path (objectFromFieldTexts, as parseText's) straight from the cells: the same value
   * without the text row, its key check and two closures per row (the row alone was a quarter of what a replay
   * allocates). Undefined when a field's quick path cannot tell, or a field has no column: then the text row goes
   * to parseText, whose zod parse gives the reasons.
   */
  private quickValue(cells: readonly string[], injectedTime: number | undefined): T | undefined {
    const sources = this.cellSources;
    if (sources === undefined) return undefined;
    return this.fromFieldTexts((index) => textOf(sources[index], cells, injectedTime)) as T | undefined;
  }

  /** The row as it was read, column → cell: the dead-letter value. */
  rawRow(cells: readonly string[]): Record<string, string> | string[] {
    if (cells.length !== this.header.length) return [...cells];
    return Object.fromEntries(this.header.map((name, column) => [name, cells[column] ?? '']));
  }

  /**
   * Validates one row against the contract. `injectedTime` is the event time to inject
   * (ignored when it comes from a column); `shiftMs` moves a column's event time (looping).
   */
  admit(cells: readonly string[], injectedTime: number | undefined, shiftMs: number): Admission<T> {
    if (cells.length !== this.header.length) {
      return { accepted: false, reason: `has ${cells.length} cells, the header has ${this.header.length}`, raw: this.rawRow(cells) };
    }
    const quick = this.quickValue(cells, injectedTime);
    if (quick !== undefined) {
      quick.timestamp += shiftMs;
      return { accepted: true, value: quick };
    }
    const row: TextRow = {};
    for (const { column, field, subField } of this.placements) {
      const cell = cells[column];
      if (subField === undefined) row[field] = cell;
      else ((row[field] as TextRow | undefined) ??= {})[subField] = cell;
    }
    if (this.eventTime.kind !== 'column') row[EVENT_TIME_FIELD] = String(injectedTime);
    const admission = admitParsed(() => this.contract.parseText(row), () => this.rawRow(cells));
    if (admission.accepted && shiftMs !== 0) admission.value.timestamp += shiftMs;
    return admission;
  }
}
