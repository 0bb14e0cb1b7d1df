import { SnapshotMismatchError, SnapshotUnreadableError } from './errors';
import type {
  GroupKey,
  PartitionState,
  WindowingCounters,
} from './partition-state';
import type { StoredWindow } from './window-assigner';

/**
 * Snapshot format: UTF-8 JSON with positional arrays (compact, no per-window field names).
 * JSON has no ±∞/NaN, which do occur in numeric state (watermark before the first event,
 * empty min/max slots), so numeric fields carry them as the strings 'Infinity', '-Infinity'
 * and 'NaN'. Aggregate values of arbitrary type (first/last) are plain JSON.
 */
export const SNAPSHOT_FORMAT = 'pipeline.windowing.partition';
export const SNAPSHOT_VERSION = 1;

export interface StoredOpenWindow<
  TKey extends GroupKey,
> extends StoredWindow<TKey> {
  readonly lastUpdateAt: number;
  readonly updatePending: boolean;
}

export interface StoredClosedSession<TKey extends GroupKey> {
  readonly key: TKey;
  readonly start: number;
  readonly end: number;
}

/** What a partition snapshot holds, independent of the byte format. */
export interface PartitionSnapshot<TKey extends GroupKey> {
  readonly maxEventTime: number;
  readonly closingWatermark: number;
  readonly arrivals: number;
  readonly counters: WindowingCounters;
  /** In schedule order, so a restored schedule emits in the same order as the original. */
  readonly windows: readonly StoredOpenWindow<TKey>[];
  /** Indices into `windows`, in throttle-queue order. */
  readonly throttleQueue: readonly number[];
  readonly closedSessions: readonly StoredClosedSession<TKey>[];
}

/** Identifies the state layout; restoring into a different one would misread accumulators. */
export interface SnapshotIdentity {
  readonly pipeline: string;
  readonly partition: number;
  readonly numberSlots: number;
  readonly valueSlots: number;
}

type EncodedNumber = number | `${number}`;

type WindowTuple = [
  key: GroupKey,
  start: number,
  end: number,
  scheduledAt: number,
  numbers: EncodedNumber[],
  values: unknown[],
  lastUpdateAt: EncodedNumber,
  updatePending: boolean,
];
type ClosedSessionTuple = [key: GroupKey, start: number, end: number];

export function capturePartition<TKey extends GroupKey>(
  state: PartitionState<TKey>,
): PartitionSnapshot<TKey> {
  const windows: StoredOpenWindow<TKey>[] = [];
  const indexOf = new Map<object, number>();
  // In schedule sequence: a restore files them again in this order (see entriesBySequence).
  for (const window of state.schedule.entriesBySequence()) {
    if (window.lifecycle === 'open') {
      indexOf.set(window, windows.length);
      windows.push({
        key: window.key,
        start: window.start,
        end: window.end,
        scheduledAt: window.scheduledAt,
        numbers: window.accumulatorNumbers(),
        values: window.values,
        lastUpdateAt: window.lastUpdateAt,
        updatePending: window.updatePending,
      });
    }
  }
  const throttleQueue: number[] = [];
  for (const window of state.throttle.toArray()) {
    const index = indexOf.get(window);
    if (index !== undefined) throttleQueue.push(index);
  }
  const closedSessions: StoredClosedSession<TKey>[] = [];
  for (const keyWindows of state.keys.values()) {
    if (keyWindows.lastClosed !== null)
      closedSessions.push(keyWindows.lastClosed);
  }
  return {
    maxEventTime: state.maxEventTime,
    closingWatermark: state.closingWatermark,
    arrivals: state.arrivals,
    counters: { ...state.counters },
    windows,
    throttleQueue,
    closedSessions,
  };
}

export function encodeSnapshot(
  identity: SnapshotIdentity,
  snapshot: PartitionSnapshot<GroupKey>,
): Uint8Array {
  const document = {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    pipeline: identity.pipeline,
    partition: identity.partition,
    clock: encodeNumbers([
      snapshot.maxEventTime,
      snapshot.closingWatermark,
      // Reserved (was the last activity time, for idleness, which is gone); kept so version 1 stays readable.
      -Infinity,
      snapshot.arrivals,
    ]),
    counters: [
      snapshot.counters.eventsProcessed,
      snapshot.counters.lateEvents,
      snapshot.counters.resultsEmitted,
    ],
    windows: snapshot.windows.map((window): WindowTuple => [
      window.key,
      window.start,
      window.end,
      window.scheduledAt,
      encodeNumbers(window.numbers),
      window.values,
      encodeNumber(window.lastUpdateAt),
      window.updatePending,
    ]),
    throttleQueue: snapshot.throttleQueue,
    closedSessions: snapshot.closedSessions.map(
      (session): ClosedSessionTuple => [
        session.key,
        session.start,
        session.end,
      ],
    ),
  };
  return new TextEncoder().encode(JSON.stringify(document));
}

/**
 * Decodes and validates a snapshot. Keys are checked to be strings or numbers; that they
 * match the pipeline's key type is the caller's contract (same pipeline signature).
 */
export function decodeSnapshot<TKey extends GroupKey>(
  bytes: Uint8Array,
  expected: SnapshotIdentity,
): PartitionSnapshot<TKey> {
  const document = new SnapshotReader(parseDocument(bytes), expected.partition);
  if (
    document.field('format') !== SNAPSHOT_FORMAT ||
    document.field('version') !== SNAPSHOT_VERSION
  ) {
    throw new SnapshotUnreadableError(
      'not a windowing snapshot of a supported version',
      {
        partition: expected.partition,
        format: document.field('format'),
        version: document.field('version'),
        supportedVersion: SNAPSHOT_VERSION,
      },
    );
  }
  const pipeline = document.field('pipeline');
  const partition = document.field('partition');
  if (pipeline !== expected.pipeline || partition !== expected.partition) {
    throw new SnapshotMismatchError(
      'snapshot belongs to another partition or pipeline definition',
      {
        expectedPartition: expected.partition,
        snapshotPartition: partition,
        expectedPipeline: expected.pipeline,
        snapshotPipeline: pipeline,
      },
    );
  }
  const [maxEventTime, closingWatermark, , arrivals] =
    document.numbers(document.field('clock'), 'clock', '', 4);
  const [eventsProcessed, lateEvents, resultsEmitted] = document.numbers(
    document.field('counters'),
    'counters',
    '',
    3,
  );
  const windows = document
    .list(document.field('windows'), 'windows')
    .map((entry, index) =>
      document.window<TKey>(entry, `windows[${index}]`, expected),
    );
  const throttleQueue = document.numbers(
    document.field('throttleQueue'),
    'throttleQueue',
  );
  if (
    throttleQueue.some(
      (index) =>
        !Number.isInteger(index) || index < 0 || index >= windows.length,
    )
  ) {
    throw document.unreadable(
      'throttleQueue',
      'references a window that is not in the snapshot',
    );
  }
  const closedSessions = document
    .list(document.field('closedSessions'), 'closedSessions')
    .map((entry, index) => {
      const path = `closedSessions[${index}]`;
      const [key, start, end] = document.tuple(entry, path, '', 3);
      return {
        key: document.key<TKey>(key, path, '[0]'),
        start: document.number(start, path, '[1]'),
        end: document.number(end, path, '[2]'),
      };
    });
  return {
    maxEventTime,
    closingWatermark,
    arrivals,
    counters: { eventsProcessed, lateEvents, resultsEmitted },
    windows,
    throttleQueue,
    closedSessions,
  };
}

function encodeNumber(value: number): EncodedNumber {
  return Number.isFinite(value) ? value : `${value}`;
}

function encodeNumbers(values: readonly number[]): EncodedNumber[] {
  return values.every(Number.isFinite) ? [...values] : values.map(encodeNumber);
}

function decodeNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value === 'Infinity' || value === '-Infinity' || value === 'NaN') {
    return Number(value);
  }
  return undefined;
}

function parseDocument(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new SnapshotUnreadableError(
      'snapshot bytes are not valid UTF-8 JSON',
      {
        byteLength: bytes.byteLength,
        cause: cause instanceof Error ? cause.message : String(cause),
      },
    );
  }
}

/** Typed reads from the untyped document; every failure names the path that was wrong. */
class SnapshotReader {
  private readonly root: Readonly<Record<string, unknown>>;

  constructor(
    root: unknown,
    private readonly partition: number,
  ) {
    if (typeof root !== 'object' || root === null || Array.isArray(root)) {
      throw this.unreadable('$', 'expected a JSON object');
    }
    this.root = Object.fromEntries(Object.entries(root));
  }

  field(name: string): unknown {
    return this.root[name];
  }

  unreadable(path: string, problem: string): SnapshotUnreadableError {
    return new SnapshotUnreadableError(`snapshot field ${path} ${problem}`, {
      partition: this.partition,
      path,
    });
  }

  /** `field` is appended to `path` only when reporting, keeping the happy path cheap. */
  list(value: unknown, path: string, field = ''): unknown[] {
    if (!Array.isArray(value)) {
      throw this.unreadable(path + field, 'must be an array');
    }
    return value;
  }

  tuple(
    value: unknown,
    path: string,
    field: string,
    length: number,
  ): unknown[] {
    const items = this.list(value, path, field);
    if (items.length !== length) {
      throw this.unreadable(path + field, `must have ${length} entries`);
    }
    return items;
  }

  number(value: unknown, path: string, field = ''): number {
    const decoded = decodeNumber(value);
    if (decoded === undefined) {
      throw this.unreadable(path + field, 'must be a number');
    }
    return decoded;
  }

  numbers(value: unknown, path: string, field = '', length?: number): number[] {
    const items =
      length === undefined
        ? this.list(value, path, field)
        : this.tuple(value, path, field, length);
    const decoded = new Array<number>(items.length);
    for (let index = 0; index < items.length; index++) {
      const number = decodeNumber(items[index]);
      if (number === undefined) {
        throw this.unreadable(`${path}${field}[${index}]`, 'must be a number');
      }
      decoded[index] = number;
    }
    return decoded;
  }

  key<TKey extends GroupKey>(value: unknown, path: string, field = ''): TKey {
    if (typeof value !== 'string' && typeof value !== 'number')
      throw this.unreadable(path + field, 'must be a string or number');
    // Same pipeline signature, same key function: the stored key has the pipeline's key type.
    return value as TKey;
  }

  window<TKey extends GroupKey>(
    value: unknown,
    path: string,
    expected: SnapshotIdentity,
  ): StoredOpenWindow<TKey> {
    const [
      key,
      start,
      end,
      scheduledAt,
      numbers,
      values,
      lastUpdateAt,
      updatePending,
    ] = this.tuple(value, path, '', 8);
    if (typeof updatePending !== 'boolean')
      throw this.unreadable(`${path}.updatePending`, 'must be a boolean');
    return {
      key: this.key<TKey>(key, path, '.key'),
      start: this.number(start, path, '.start'),
      end: this.number(end, path, '.end'),
      scheduledAt: this.number(scheduledAt, path, '.scheduledAt'),
      numbers: this.numbers(numbers, path, '.numbers', expected.numberSlots),
      values: this.tuple(values, path, '.values', expected.valueSlots),
      lastUpdateAt: this.number(lastUpdateAt, path, '.lastUpdateAt'),
      updatePending,
    };
  }
}
