import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { eventTopics, type Domain } from '@pipeline/contracts';
import { partitionOfKey } from '@pipeline/kafka';
import { Type, type Schema } from 'avsc';
import type { EventTimeSource } from '../event-time';
import type { EventValue } from '../source';
import { csvReplayItemChunks } from './csv-replay-source';

/**
 * The worker-thread side of a CSV replay (see csv-worker-source.ts): reads the file, admits every
 * row with the contract, keys and encodes the valid ones, and posts them in batches of bytes that
 * move to the main thread without a copy. The main thread only sends.
 */

/** What the main thread starts the worker with. */
export interface CsvWorkerData {
  kind: 'csv-replay';
  file: string;
  /** The catalog's event topic whose contract and key the rows get (eventTopics). */
  domain: Domain;
  eventTime: Exclude<EventTimeSource, { kind: 'now' }>;
  passes: number;
  skip: number;
  schemaId: number;
  partitions: number;
  /** Rows per batch posted. */
  batchRows: number;
  /** Batches posted and not yet taken by the main thread, at most: the worker waits beyond (memory stays bounded). */
  maxAhead: number;
}

/** A batch of rows. Row i's key is bytes[ends[2i-1] .. ends[2i]), its value bytes[ends[2i] .. ends[2i+1]) (ends[-1] = 0); a rejected row has none. */
export interface CsvWorkerBatch {
  kind: 'batch';
  bytes: ArrayBuffer;
  ends: Int32Array;
  positions: string[];
  /** Event time per row (NaN when unknown: a rejected row). */
  eventTimes: Float64Array;
  partitions: Uint16Array;
  rejections: Array<{ row: number; reason: string; raw: unknown }>;
}

/** An error of the worker, rebuilt as its class by the main thread. */
export interface CsvWorkerFailure {
  kind: 'error';
  name: string;
  message: string;
  file?: string;
  problems?: string[];
}

export type CsvWorkerMessage = { kind: 'layout'; ignoredColumns: string[] } | CsvWorkerBatch | CsvWorkerFailure | { kind: 'end' };

/** The main thread took a batch. */
export const CSV_WORKER_CREDIT = 'credit';
/** The main thread needs no more rows: the worker stops reading and ends its thread (terminating one mid-load can crash Node). */
export const CSV_WORKER_STOP = 'stop';

/** Bytes a batch starts with; one that outgrows it is posted early (a row larger than it gets a buffer of its own). */
const BATCH_BYTES = 256 * 1024;

class BatchBuilder {
  private bytes = Buffer.allocUnsafeSlow(BATCH_BYTES);
  private at = 0;
  private ends: number[] = [];
  private positions: string[] = [];
  private eventTimes: number[] = [];
  private partitions: number[] = [];
  private rejections: CsvWorkerBatch['rejections'] = [];

  constructor(private readonly schemaId: number) {}

  get rows(): number {
    return this.positions.length;
  }

  /** Adds an event; false (and nothing added) when its bytes do not fit. */
  addEvent(position: string, eventTime: number, key: string, partition: number, encode: (into: Buffer, offset: number) => number): boolean {
    const keyEnd = this.at + Buffer.byteLength(key);
    // Key, then the wire header (magic byte 0, schema id), then the Avro body.
    if (keyEnd + 5 > this.bytes.length) return false;
    this.bytes.write(key, this.at);
    this.bytes[keyEnd] = 0;
    this.bytes.writeInt32BE(this.schemaId, keyEnd + 1);
    const valueEnd = encode(this.bytes, keyEnd + 5);
    if (valueEnd < 0) return false;
    this.at = valueEnd;
    this.ends.push(keyEnd, valueEnd);
    this.positions.push(position);
    this.eventTimes.push(eventTime);
    this.partitions.push(partition);
    return true;
  }

  addRejection(position: string, reason: string, raw: unknown): void {
    this.rejections.push({ row: this.rows, reason, raw });
    this.ends.push(this.at, this.at);
    this.positions.push(position);
    this.eventTimes.push(Number.NaN);
    this.partitions.push(0);
  }

  /** An empty batch's buffer grown to hold `bytes` (a row larger than a batch). */
  reserve(bytes: number): void {
    if (this.at === 0 && bytes > this.bytes.length) this.bytes = Buffer.allocUnsafeSlow(bytes);
  }

  /** The batch to post (its buffers transferred) and a fresh builder state. */
  take(): { batch: CsvWorkerBatch; transfer: ArrayBuffer[] } {
    const ends = Int32Array.from(this.ends);
    const eventTimes = Float64Array.from(this.eventTimes);
    const partitions = Uint16Array.from(this.partitions);
    // A slow buffer owns its ArrayBuffer (no pool), so it can move to the other thread.
    const bytes = this.bytes.buffer as ArrayBuffer;
    const batch: CsvWorkerBatch = { kind: 'batch', bytes, ends, positions: this.positions, eventTimes, partitions, rejections: this.rejections };
    this.bytes = Buffer.allocUnsafeSlow(BATCH_BYTES);
    this.at = 0;
    this.ends = [];
    this.positions = [];
    this.eventTimes = [];
    this.partitions = [];
    this.rejections = [];
    return { batch, transfer: [bytes, ends.buffer, eventTimes.buffer, partitions.buffer] };
  }
}

function failureOf(error: unknown): CsvWorkerFailure {
  if (!(error instanceof Error)) return { kind: 'error', name: 'Error', message: String(error) };
  const details = error as Error & { file?: unknown; problems?: unknown };
  return {
    kind: 'error',
    name: error.name,
    message: error.message,
    ...(typeof details.file === 'string' ? { file: details.file } : {}),
    ...(Array.isArray(details.problems) ? { problems: details.problems.map(String) } : {}),
  };
}

async function runCsvWorker(port: MessagePort, data: CsvWorkerData): Promise<void> {
  const topic = eventTopics[data.domain];
  const contract = topic.contract;
  // One of the domains' key functions; each value below comes from that domain's own contract.
  const key = topic.key as (value: EventValue) => string;
  // Plain records, as the main thread's codec encodes them (createAvroCodec).
  const avro = Type.forSchema(contract.avroSchema as Schema, { omitRecordMethods: true });
  let ahead = 0;
  let stopped = false;
  let credited: (() => void) | undefined;
  port.on('message', (message: unknown) => {
    if (message === CSV_WORKER_CREDIT) ahead -= 1;
    if (message === CSV_WORKER_STOP) stopped = true;
    credited?.();
  });
  const builder = new BatchBuilder(data.schemaId);
  const post = async (): Promise<void> => {
    while (ahead >= data.maxAhead && !stopped) await new Promise<void>((resolve) => (credited = resolve));
    if (stopped) return;
    const { batch, transfer } = builder.take();
    ahead += 1;
    port.postMessage(batch, transfer);
  };
  const chunks = csvReplayItemChunks<EventValue>({
    file: data.file,
    contract,
    eventTime: data.eventTime,
    passes: data.passes,
    skip: data.skip,
    onLayout: (layout) => port.postMessage({ kind: 'layout', ignoredColumns: layout.ignoredColumns } satisfies CsvWorkerMessage),
  });
  for await (const items of chunks) {
    for (const item of items) {
      if (stopped) return;
      const admission = item.admit(0);
      if (!admission.accepted) {
        builder.addRejection(item.position, admission.reason, admission.raw);
      } else {
        const { value } = admission;
        const eventKey = key(value);
        const partition = partitionOfKey(eventKey, data.partitions);
        const encode = (into: Buffer, offset: number) => avro.encode(value, into, offset);
        if (!builder.addEvent(item.position, value.timestamp, eventKey, partition, encode)) {
          // The batch is full: post it, and make room for a row larger than a whole batch.
          if (builder.rows > 0) await post();
          builder.reserve(Buffer.byteLength(eventKey) + 5 + avro.toBuffer(value).length);
          if (!builder.addEvent(item.position, value.timestamp, eventKey, partition, encode)) throw new Error(`row ${item.position} does not fit a batch of its own size`);
        }
      }
      if (builder.rows >= data.batchRows) await post();
    }
  }
  if (builder.rows > 0) await post();
  if (!stopped) port.postMessage({ kind: 'end' } satisfies CsvWorkerMessage);
}

/** Started as a worker thread with CsvWorkerData: run. Imported anywhere else: nothing. */
const data = workerData as Partial<CsvWorkerData> | null | undefined;
if (parentPort && data?.kind === 'csv-replay') {
  const port = parentPort;
  runCsvWorker(port, data as CsvWorkerData)
    .catch((error: unknown) => port.postMessage(failureOf(error)))
    // With the port closed nothing keeps the thread alive: it ends.
    .finally(() => port.close());
}
