import { loopShiftMs, widenSpan, type EventTimeSource, type EventTimeSpan } from '../event-time';
import type { Admission, EventContract, EventValue, SourceItem } from '../source';
import { CsvHeaderError, CsvLayout } from './csv-layout';
import { readCsvRecordChunks } from './csv-records';

export interface CsvReplaySourceOptions<T extends EventValue> {
  file: string;
  contract: EventContract<T>;
  eventTime: EventTimeSource;
  /** Passes over the file; Infinity loops until stopped. Each pass after the first shifts column event times forward. */
  passes: number;
  /** Rows (over all passes, in file order) already sent by an earlier run: read, not yielded. Default 0. */
  skip?: number;
  /** Told once the header is read: e.g. to report ignored columns. */
  onLayout?: (layout: Pick<CsvLayout<T>, 'ignoredColumns'>) => void;
}

/** An item whose admission is decided already (a column's or an injected synthetic event time). */
export function settled<T extends EventValue>(position: string, admission: Admission<T>): SourceItem<T> {
  return new SettledItem(position, admission);
}

/** A class rather than an object with a closure: one allocation per row instead of three. */
class SettledItem<T extends EventValue> implements SourceItem<T> {
  readonly eventTime: number | undefined;

  constructor(
    readonly position: string,
    private readonly admission: Admission<T>,
  ) {
    this.eventTime = admission.accepted ? admission.value.timestamp : undefined;
  }

  admit(): Admission<T> {
    return this.admission;
  }
}

/**
 * The rows of a CSV file as source items, validated against the contract, one pass after
 * another. Reading is streamed (csv-parse), so memory stays flat for any file size.
 */
export async function* csvReplayItems<T extends EventValue>(options: CsvReplaySourceOptions<T>): AsyncGenerator<SourceItem<T>> {
  for await (const chunk of csvReplayItemChunks(options)) yield* chunk;
}

/** csvReplayItems a read chunk at a time (see readCsvRecordChunks): what the pump and the worker take, with no await per row. */
export async function* csvReplayItemChunks<T extends EventValue>(options: CsvReplaySourceOptions<T>): AsyncGenerator<SourceItem<T>[]> {
  const { file, contract, eventTime } = options;
  const skip = options.skip ?? 0;
  let firstPass: EventTimeSpan | undefined;
  let shiftPerPass = 0;
  let rowIndex = 0;
  for (let pass = 0; pass < options.passes; pass += 1) {
    const shiftMs = pass * shiftPerPass;
    let layout: CsvLayout<T> | undefined;
    for await (const records of readCsvRecordChunks(file)) {
      const items: SourceItem<T>[] = [];
      for (const record of records) {
        if (!layout) {
          if ('unreadable' in record) throw new CsvHeaderError(file, [`the header row is unreadable: ${record.unreadable}`]);
          layout = new CsvLayout(contract, record.cells, eventTime, file);
          if (pass === 0) options.onLayout?.(layout);
          continue;
        }
        const position = pass === 0 ? String(record.line) : `${record.line} (pass ${pass + 1})`;
        const index = rowIndex;
        rowIndex += 1;
        if (index < skip) {
          // A later pass's time shift needs the first pass's span, even over rows sent before.
          if (pass === 0 && options.passes > 1 && eventTime.kind === 'column' && 'cells' in record) {
            const skipped = layout.admit(record.cells, undefined, 0);
            if (skipped.accepted) firstPass = widenSpan(firstPass, skipped.value.timestamp);
          }
          continue;
        }
        if ('unreadable' in record) {
          items.push(settled(position, { accepted: false, reason: `is not readable CSV: ${record.unreadable}`, raw: record.raw ?? null }));
          continue;
        }
        const { cells } = record;
        const rowLayout = layout;
        if (eventTime.kind === 'now') {
          items.push({ position, admit: (sendTime) => rowLayout.admit(cells, sendTime, 0) });
          continue;
        }
        const injected = eventTime.kind === 'synthetic' ? Math.round(eventTime.start + index * eventTime.spacingMs) : undefined;
        const admission = layout.admit(cells, injected, eventTime.kind === 'column' ? shiftMs : 0);
        if (pass === 0 && admission.accepted) firstPass = widenSpan(firstPass, admission.value.timestamp);
        items.push(settled(position, admission));
      }
      if (items.length > 0) yield items;
    }
    if (!layout) throw new CsvHeaderError(file, ['the file is empty: no header row']);
    if (pass === 0) shiftPerPass = loopShiftMs(firstPass);
  }
}
