import {
  InvalidArgumentError,
  SnapshotMismatchError,
  SnapshotUnreadableError,
} from './errors';
import type { GroupKey } from './partition-state';
import type {
  KeyState,
  PartitionClock,
  StoredClosedSession,
  StoredKeyWindow,
} from './types';

/**
 * Binary records of the per-key changelog: one per group key (its open windows and session
 * tombstone) and one per partition (its clock). Little-endian, numbers as Float64 (±∞ and
 * NaN survive), lengths and counts as LEB128 varints.
 *
 *   header      'W' (0x57), version (1), kind ('K' key state | 'C' partition clock),
 *               layout hash (uint32: window layout, aggregate list, slot counts)
 *   key state   key: 'S' varint length + UTF-8 | 'N' float64; flags (1: has tombstone);
 *               window count; per window: flags (1: update pending, 2: in throttle queue,
 *               4: has an update time), start, end, scheduledAt, scheduleSequence,
 *               [lastUpdateAt], [throttleSequence], numberSlots × float64,
 *               [values: varint length + JSON, only when the layout has value slots];
 *               [tombstone: start, end, scheduleSequence]
 *   clock       partition (uint32), maxEventTime, closingWatermark, reserved (−∞; was
 *               the last activity time of the removed idleness, kept so records stay readable),
 *               arrivals, eventsProcessed, lateEvents, resultsEmitted,
 *               scheduleSequence, throttleSequence
 */
export const STATE_RECORD_VERSION = 1;

const MAGIC = 0x57;
const KIND_KEY_STATE = 0x4b;
const KIND_CLOCK = 0x43;
const HEADER_BYTES = 7;
const KEY_STRING = 0x53;
const KEY_NUMBER = 0x4e;
const HAS_TOMBSTONE = 1;
const UPDATE_PENDING = 1;
const QUEUED = 2;
const HAS_UPDATE_TIME = 4;
const WINDOW_FLAGS = UPDATE_PENDING | QUEUED | HAS_UPDATE_TIME;
/** flags + start, end, scheduledAt, scheduleSequence. */
const WINDOW_FIXED_BYTES = 1 + 4 * 8;
const CLOCK_BYTES = HEADER_BYTES + 4 + 9 * 8;
/** Short ASCII strings are decoded by hand: cheaper than a TextDecoder call per key. */
const SHORT_STRING = 64;

/** The state layout records are written for; a record of another layout is refused. */
export interface StateIdentity {
  /** Window layout and aggregate list (names, kinds, order), as in snapshots. */
  readonly signature: string;
  readonly numberSlots: number;
  readonly valueSlots: number;
  /** 32-bit FNV-1a hash of the above: what every record carries. */
  readonly layoutHash: number;
}

export function stateIdentity(
  signature: string,
  numberSlots: number,
  valueSlots: number,
): StateIdentity {
  return {
    signature,
    numberSlots,
    valueSlots,
    layoutHash: fnv1a(`${signature}|numbers=${numberSlots}|values=${valueSlots}`),
  };
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** One growable buffer shared by all encodes (they are synchronous); each result is a copy. */
class ByteWriter {
  private bytes = new Uint8Array(1 << 12);
  private view = new DataView(this.bytes.buffer);
  private length = 0;

  start(kind: number, identity: StateIdentity): void {
    this.length = 0;
    this.reserve(HEADER_BYTES);
    this.u8(MAGIC);
    this.u8(STATE_RECORD_VERSION);
    this.u8(kind);
    this.view.setUint32(this.length, identity.layoutHash, true);
    this.length += 4;
  }

  finish(allocate: RecordAllocator): Uint8Array {
    const record = allocate(this.length);
    record.set(
      this.length === this.bytes.length
        ? this.bytes
        : this.bytes.subarray(0, this.length),
    );
    return record;
  }

  /** Makes room for `count` more bytes; the unchecked writes below rely on it. */
  reserve(count: number): void {
    const needed = this.length + count;
    if (needed <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < needed) capacity *= 2;
    const bytes = new Uint8Array(capacity);
    bytes.set(this.bytes.subarray(0, this.length));
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer);
  }

  u8(value: number): void {
    this.bytes[this.length++] = value;
  }

  u32(value: number): void {
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }

  f64(value: number): void {
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  raw(bytes: Uint8Array): void {
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** Unsigned LEB128, up to 2^32 − 1 (5 bytes; reserved by the caller). */
  varuint(value: number): void {
    let rest = value >>> 0;
    while (rest >= 0x80) {
      this.bytes[this.length++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    this.bytes[this.length++] = rest;
  }

  utf8(value: string): void {
    const length = value.length;
    if (length < 0x80) {
      // ASCII fast path: the length is one varint byte and every char one byte.
      this.reserve(1 + length);
      const bytes = this.bytes;
      const at = this.length + 1;
      let index = 0;
      for (; index < length; index++) {
        const code = value.charCodeAt(index);
        if (code >= 0x80) break;
        bytes[at + index] = code;
      }
      if (index === length) {
        bytes[this.length] = length;
        this.length = at + length;
        return;
      }
    }
    const encoded = utf8Encoder.encode(value);
    this.reserve(5 + encoded.length);
    this.varuint(encoded.length);
    this.raw(encoded);
  }
}

const writer = new ByteWriter();

/**
 * Where an encoded record is copied to: `length` bytes, e.g. `Buffer.allocUnsafe` in Node,
 * which hands out slices of a shared pool (far cheaper than an ArrayBuffer per record; the
 * record then shares its `.buffer` with others, as pooled Buffers do).
 */
export type RecordAllocator = (length: number) => Uint8Array;

const newUint8Array: RecordAllocator = (length) => new Uint8Array(length);

/**
 * Encodes one key's state. `state` may be a live view from takeChanges: encode before the
 * engine runs again.
 */
export function encodeKeyState<TKey extends GroupKey>(
  identity: StateIdentity,
  state: KeyState<TKey>,
  allocate: RecordAllocator = newUint8Array,
): Uint8Array {
  const { numberSlots, valueSlots } = identity;
  writer.start(KIND_KEY_STATE, identity);
  const key: GroupKey = state.key;
  if (typeof key === 'string') {
    writer.reserve(1);
    writer.u8(KEY_STRING);
    writer.utf8(key);
  } else {
    writer.reserve(9);
    writer.u8(KEY_NUMBER);
    writer.f64(key);
  }
  const windows = state.windows;
  writer.reserve(6);
  writer.u8(state.lastClosed === null ? 0 : HAS_TOMBSTONE);
  writer.varuint(windows.length);
  for (let index = 0; index < windows.length; index++) {
    const window = windows[index];
    const numbers = window.numbers;
    const firstSlot = window.firstSlot;
    if (
      numbers.length - firstSlot !== numberSlots ||
      window.values.length !== valueSlots
    ) {
      throw new InvalidArgumentError(
        'key state does not fit the layout it is encoded for',
        {
          key,
          numberSlots: numbers.length - firstSlot,
          valueSlots: window.values.length,
          expectedNumberSlots: numberSlots,
          expectedValueSlots: valueSlots,
        },
      );
    }
    writer.reserve(WINDOW_FIXED_BYTES + 16 + numberSlots * 8);
    const queued = window.throttleSequence > 0;
    const hasUpdateTime = window.lastUpdateAt !== -Infinity;
    writer.u8(
      (window.updatePending ? UPDATE_PENDING : 0) |
        (queued ? QUEUED : 0) |
        (hasUpdateTime ? HAS_UPDATE_TIME : 0),
    );
    writer.f64(window.start);
    writer.f64(window.end);
    writer.f64(window.scheduledAt);
    writer.f64(window.scheduleSequence);
    if (hasUpdateTime) writer.f64(window.lastUpdateAt);
    if (queued) writer.f64(window.throttleSequence);
    for (let slot = firstSlot; slot < numbers.length; slot++) {
      writer.f64(numbers[slot]);
    }
    if (valueSlots > 0) {
      const json = utf8Encoder.encode(JSON.stringify(window.values));
      writer.reserve(5 + json.length);
      writer.varuint(json.length);
      writer.raw(json);
    }
  }
  const tombstone = state.lastClosed;
  if (tombstone !== null) {
    writer.reserve(24);
    writer.f64(tombstone.start);
    writer.f64(tombstone.end);
    writer.f64(tombstone.scheduleSequence);
  }
  return writer.finish(allocate);
}

export function encodePartitionClock(
  identity: StateIdentity,
  clock: PartitionClock,
  allocate: RecordAllocator = newUint8Array,
): Uint8Array {
  writer.start(KIND_CLOCK, identity);
  writer.reserve(CLOCK_BYTES - HEADER_BYTES);
  writer.u32(clock.partition);
  writer.f64(clock.maxEventTime);
  writer.f64(clock.closingWatermark);
  writer.f64(-Infinity);
  writer.f64(clock.arrivals);
  writer.f64(clock.counters.eventsProcessed);
  writer.f64(clock.counters.lateEvents);
  writer.f64(clock.counters.resultsEmitted);
  writer.f64(clock.scheduleSequence);
  writer.f64(clock.throttleSequence);
  return writer.finish(allocate);
}

/**
 * Decodes a key state record. Keys come back as the string or number they were; that this
 * is the pipeline's key type is the caller's contract (same layout, same key function).
 * @throws SnapshotMismatchError for a record of another window layout or aggregate list
 * @throws SnapshotUnreadableError for anything that is not a well-formed record, naming the problem
 */
export function decodeKeyState<TKey extends GroupKey>(
  identity: StateIdentity,
  bytes: Uint8Array,
): KeyState<TKey> {
  const reader = new ByteReader(bytes, 'key state');
  reader.header(identity, KIND_KEY_STATE);
  reader.need(1, 'key');
  const keyTag = reader.u8();
  let key: GroupKey;
  if (keyTag === KEY_STRING) {
    key = reader.utf8('key');
  } else if (keyTag === KEY_NUMBER) {
    reader.need(8, 'key');
    key = reader.f64();
  } else {
    throw reader.unreadable('key', `has an unknown type tag ${keyTag}`);
  }
  reader.need(1, 'flags');
  const keyFlags = reader.u8();
  if ((keyFlags & ~HAS_TOMBSTONE) !== 0) {
    throw reader.unreadable('flags', `has unknown bits ${keyFlags}`);
  }
  const { numberSlots, valueSlots } = identity;
  const count = reader.varuint('window count');
  const windowBytes = WINDOW_FIXED_BYTES + numberSlots * 8;
  if (count * windowBytes > reader.remaining) {
    throw reader.unreadable(
      'window count',
      `says ${count} windows, more than the ${reader.remaining} bytes left can hold`,
    );
  }
  const template = numbersTemplate(numberSlots);
  const windows: StoredKeyWindow[] = [];
  for (let index = 0; index < count; index++) {
    reader.need(windowBytes, `windows[${index}]`);
    const flags = reader.u8();
    if ((flags & ~WINDOW_FLAGS) !== 0) {
      throw reader.unreadable(`windows[${index}].flags`, `has unknown bits ${flags}`);
    }
    const start = reader.f64();
    const end = reader.f64();
    const scheduledAt = reader.f64();
    const scheduleSequence = reader.f64();
    let lastUpdateAt = -Infinity;
    let throttleSequence = 0;
    if ((flags & HAS_UPDATE_TIME) !== 0) {
      reader.need(8 + windowBytes - WINDOW_FIXED_BYTES, `windows[${index}]`);
      lastUpdateAt = reader.f64();
    }
    if ((flags & QUEUED) !== 0) {
      reader.need(8 + windowBytes - WINDOW_FIXED_BYTES, `windows[${index}]`);
      throttleSequence = reader.f64();
    }
    // A copy of a packed-double template: exact length, unboxed doubles, as the engine makes them.
    const numbers = template.slice();
    for (let slot = 0; slot < numberSlots; slot++) numbers[slot] = reader.f64();
    const values =
      valueSlots === 0 ? NO_VALUES : reader.values(valueSlots, index);
    windows.push({
      start,
      end,
      scheduledAt,
      scheduleSequence,
      numbers,
      firstSlot: 0,
      values,
      lastUpdateAt,
      updatePending: (flags & UPDATE_PENDING) !== 0,
      throttleSequence,
    });
  }
  let lastClosed: StoredClosedSession | null = null;
  if ((keyFlags & HAS_TOMBSTONE) !== 0) {
    reader.need(24, 'lastClosed');
    lastClosed = {
      start: reader.f64(),
      end: reader.f64(),
      scheduleSequence: reader.f64(),
    };
  }
  reader.end();
  // Same layout, same key function: the stored key has the pipeline's key type.
  return { key: key as TKey, windows, lastClosed };
}

/**
 * @throws SnapshotMismatchError for a clock of another window layout or aggregate list
 * @throws SnapshotUnreadableError for anything that is not a well-formed clock record
 */
export function decodePartitionClock(
  identity: StateIdentity,
  bytes: Uint8Array,
): PartitionClock {
  const reader = new ByteReader(bytes, 'partition clock');
  reader.header(identity, KIND_CLOCK);
  reader.need(CLOCK_BYTES - HEADER_BYTES, 'clock');
  const partition = reader.u32();
  const maxEventTime = reader.f64();
  const closingWatermark = reader.f64();
  reader.f64(); // reserved
  const arrivals = reader.f64();
  const eventsProcessed = reader.f64();
  const lateEvents = reader.f64();
  const resultsEmitted = reader.f64();
  const scheduleSequence = reader.f64();
  const throttleSequence = reader.f64();
  reader.end();
  return {
    partition,
    maxEventTime,
    closingWatermark,
    arrivals,
    counters: { eventsProcessed, lateEvents, resultsEmitted },
    scheduleSequence,
    throttleSequence,
  };
}

const NO_VALUES: unknown[] = [];
const templates: number[][] = [];

function numbersTemplate(slots: number): number[] {
  let template = templates[slots];
  if (template === undefined) {
    // Seeded with a double so the array (and every slice of it) holds unboxed doubles.
    template = [NaN];
    for (let slot = 1; slot < slots; slot++) template.push(NaN);
    template.length = slots;
    templates[slots] = template;
  }
  return template;
}

type RecordKind = 'key state' | 'partition clock';

/** Reads with explicit bounds checks (`need`), so the per-number reads stay unchecked. */
class ByteReader {
  private readonly view: DataView;
  private offset = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly kind: RecordKind,
  ) {
    if (!(bytes instanceof Uint8Array)) {
      throw new SnapshotUnreadableError(
        `windowing ${kind} record must be a Uint8Array`,
        { record: kind, type: typeof bytes },
      );
    }
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  header(identity: StateIdentity, kind: number): void {
    const bytes = this.bytes;
    if (bytes.length < HEADER_BYTES) {
      throw this.unreadable('header', 'is missing: too short for a windowing state record');
    }
    if (bytes[0] !== MAGIC) {
      throw this.unreadable('header', 'does not start a windowing state record');
    }
    if (bytes[1] !== STATE_RECORD_VERSION) {
      throw new SnapshotUnreadableError(
        `windowing ${this.kind} record of unsupported version ${bytes[1]}`,
        {
          record: this.kind,
          version: bytes[1],
          supportedVersion: STATE_RECORD_VERSION,
        },
      );
    }
    if (bytes[2] !== kind) {
      throw this.unreadable('header', `says this is a ${kindName(bytes[2])} record`);
    }
    const layoutHash = this.view.getUint32(3, true);
    this.offset = HEADER_BYTES;
    if (layoutHash !== identity.layoutHash) {
      throw new SnapshotMismatchError(
        `windowing ${this.kind} record was written for another window layout or aggregate list`,
        {
          record: this.kind,
          recordLayoutHash: layoutHash,
          expectedLayoutHash: identity.layoutHash,
          expectedLayout: identity.signature,
        },
      );
    }
  }

  need(count: number, field: string): void {
    if (this.offset + count > this.bytes.length) {
      throw this.unreadable(
        field,
        `is truncated: needs ${count} bytes at offset ${this.offset}, the record has ${this.bytes.length}`,
      );
    }
  }

  u8(): number {
    return this.bytes[this.offset++];
  }

  u32(): number {
    const value = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return value;
  }

  f64(): number {
    const value = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return value;
  }

  varuint(field: string): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      this.need(1, field);
      const byte = this.bytes[this.offset++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    throw this.unreadable(field, 'is not a valid length');
  }

  utf8(field: string): string {
    const length = this.varuint(field);
    this.need(length, field);
    const bytes = this.bytes;
    const start = this.offset;
    this.offset += length;
    if (length <= SHORT_STRING) {
      let ascii = true;
      for (let index = start; index < start + length; index++) {
        if (bytes[index] >= 0x80) {
          ascii = false;
          break;
        }
      }
      // Bounded by SHORT_STRING, so the spread is small.
      if (ascii) return String.fromCharCode(...bytes.subarray(start, start + length));
    }
    try {
      return utf8Decoder.decode(bytes.subarray(start, start + length));
    } catch {
      throw this.unreadable(field, 'is not valid UTF-8');
    }
  }

  values(slots: number, window: number): unknown[] {
    const field = `windows[${window}].values`;
    const length = this.varuint(field);
    this.need(length, field);
    const start = this.offset;
    this.offset += length;
    let values: unknown;
    try {
      values = JSON.parse(
        utf8Decoder.decode(this.bytes.subarray(start, start + length)),
      );
    } catch {
      throw this.unreadable(field, 'is not UTF-8 JSON');
    }
    if (!Array.isArray(values) || values.length !== slots) {
      throw this.unreadable(field, `must be an array of ${slots} values`);
    }
    return values;
  }

  end(): void {
    if (this.offset !== this.bytes.length) {
      throw this.unreadable(
        'end',
        `has ${this.bytes.length - this.offset} unexpected trailing bytes`,
      );
    }
  }

  unreadable(field: string, problem: string): SnapshotUnreadableError {
    return new SnapshotUnreadableError(
      `windowing ${this.kind} record: ${field} ${problem}`,
      {
        record: this.kind,
        field,
        offset: this.offset,
        byteLength: this.bytes.length,
      },
    );
  }
}

function kindName(kind: number | undefined): string {
  if (kind === KIND_KEY_STATE) return 'key state';
  if (kind === KIND_CLOCK) return 'partition clock';
  return `unknown (${kind})`;
}

/** 32-bit FNV-1a over UTF-16 code units. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
