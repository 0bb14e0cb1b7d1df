import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { eventTopics, type Domain } from '@pipeline/contracts';
import { Type, type Schema } from 'avsc';
import type { Admission, EncodedEvent, EventTopic, EventValue, SourceItem } from '../source';
import { CsvHeaderError } from './csv-layout';
import { CsvSourceError } from './csv-records';
import { settled, type CsvReplaySourceOptions } from './csv-replay-source';
import { CSV_WORKER_CREDIT, CSV_WORKER_STOP, type CsvWorkerBatch, type CsvWorkerData, type CsvWorkerFailure, type CsvWorkerMessage } from './csv-worker';

/** How to start the worker: a bundle's csv-worker.js beside it, or the TypeScript source under @swc-node/register (tests). */
interface WorkerScript {
  file: string;
  execArgv: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * Where a CSV replay may find its worker: the bundle's csv-worker.js, or also its TypeScript source. The service and
 * benches bundle it next to main.js (deploy/webpack). The source runs under @swc-node/register, whose native binding
 * loaded in a worker thread made a long test process crash at its exit (SIGSEGV: the ingest-producer's suites with
 * a CLI replay run in process), so only this lib's own tests of the worker ask for it; run from sources otherwise
 * (`npm run ingest`, other packages' tests), the rows are parsed on the main thread.
 */
export type CsvWorkerSource = 'bundle' | 'bundle-or-source';

function workerScript(from: CsvWorkerSource): WorkerScript | undefined {
  const bundled = join(__dirname, 'csv-worker.js');
  if (existsSync(bundled)) return { file: bundled, execArgv: [], env: process.env };
  const source = join(__dirname, 'csv-worker.ts');
  if (from !== 'bundle-or-source' || !__filename.endsWith('.ts') || !existsSync(source)) return undefined;
  // From source (jest): compiled on load, with the workspace's path aliases (see jest.setup.js).
  return { file: source, execArgv: ['--require', '@swc-node/register'], env: { ...process.env, SWC_NODE_PROJECT: join(__dirname, '../../../../../tsconfig.base.json') } };
}

/** What a CSV replay needs to run its parsing in a worker thread. */
export interface CsvWorkerPlan {
  script: WorkerScript;
  domain: Domain;
  schemaId: number;
  partitions: number;
}

/**
 * A worker thread can parse, validate and encode a replay's rows when the rows' event time does not
 * depend on the moment they are sent (`now` does), the topic carries a catalog contract with its key
 * (the worker imports the contract by domain: functions do not cross threads), and the worker script is
 * there (`from`: see CsvWorkerSource). Undefined otherwise: the rows are read on the main thread.
 */
export function csvWorkerPlan<T extends EventValue>(topic: EventTopic<T>, eventTime: CsvReplaySourceOptions<T>['eventTime'], schemaId: number, from: CsvWorkerSource = 'bundle'): CsvWorkerPlan | undefined {
  if (eventTime.kind === 'now') return undefined;
  const domain = (Object.keys(eventTopics) as Domain[]).find((name) => eventTopics[name].contract === topic.contract && eventTopics[name].key === topic.key);
  const script = domain === undefined ? undefined : workerScript(from);
  return domain === undefined || script === undefined ? undefined : { script, domain, schemaId, partitions: topic.partitions };
}

/** A row the worker admitted and encoded; its value is decoded only if asked for (a dead letter's raw). */
class EncodedItem<T> implements SourceItem<T> {
  constructor(
    readonly position: string,
    readonly encoded: EncodedEvent,
    private readonly decode: (value: Buffer) => T,
  ) {}

  get eventTime(): number {
    return this.encoded.timestamp;
  }

  admit(): Admission<T> {
    return { accepted: true, value: this.decode(this.encoded.value) };
  }
}

function itemsOf<T extends EventValue>(batch: CsvWorkerBatch, decode: (value: Buffer) => T): SourceItem<T>[] {
  const items: SourceItem<T>[] = [];
  const bytes = Buffer.from(batch.bytes);
  let rejection = 0;
  let start = 0;
  for (let row = 0; row < batch.positions.length; row += 1) {
    const keyEnd = batch.ends[2 * row] ?? start;
    const valueEnd = batch.ends[2 * row + 1] ?? keyEnd;
    const position = batch.positions[row] ?? '';
    const refused = batch.rejections[rejection];
    if (refused?.row === row) {
      rejection += 1;
      items.push(settled<T>(position, { accepted: false, reason: refused.reason, raw: refused.raw }));
    } else {
      const encoded = { timestamp: batch.eventTimes[row] ?? Number.NaN, key: bytes.subarray(start, keyEnd), value: bytes.subarray(keyEnd, valueEnd), partition: batch.partitions[row] ?? 0 };
      items.push(new EncodedItem(position, encoded, decode));
    }
    start = valueEnd;
  }
  return items;
}

function errorOf(failure: CsvWorkerFailure): Error {
  if (failure.name === 'CsvHeaderError' && failure.file !== undefined && failure.problems) return new CsvHeaderError(failure.file, failure.problems);
  // CsvSourceError's message already names the file: rebuilt from the reason after that prefix.
  if (failure.name === 'CsvSourceError' && failure.file !== undefined) return new CsvSourceError(failure.file, failure.message.slice(`CSV source ${failure.file}: `.length));
  const error = new Error(failure.message);
  error.name = failure.name;
  return error;
}

/** How long a stopped worker gets to end its thread before it is terminated. */
const WORKER_STOP_MS = 10_000;

/** Messages of a worker as an async queue; its crash or exit ends the queue with an error. */
class Inbox {
  private readonly queue: CsvWorkerMessage[] = [];
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  readonly exited: Promise<void>;

  constructor(private readonly worker: Worker) {
    worker.on('message', (message: CsvWorkerMessage) => this.push(message));
    worker.on('error', (error) => this.fail(error));
    this.exited = new Promise((resolve) =>
      worker.once('exit', (code) => {
        this.fail(new Error(`the CSV worker thread exited (code ${code}) before the end of the file`));
        resolve();
      }),
    );
  }

  /** Asks the worker to end its thread, and terminates it if it has not within WORKER_STOP_MS. */
  async stop(): Promise<void> {
    this.worker.postMessage(CSV_WORKER_STOP);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), WORKER_STOP_MS)));
    const outcome = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (outcome === 'late') await this.worker.terminate();
  }

  async next(): Promise<CsvWorkerMessage> {
    for (;;) {
      const message = this.queue.shift();
      if (message) return message;
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private push(message: CsvWorkerMessage): void {
    this.queue.push(message);
    this.wake?.();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.wake?.();
  }
}

/**
 * csvReplayItemChunks with the reading, validation, keying and encoding in a worker thread: the same
 * items in the same order (each already encoded), while the main thread sends the previous batch.
 * A replay on one core spends about half its time there (libs/ingest README, benchmark).
 */
export async function* csvReplayItemsInWorker<T extends EventValue>(options: CsvReplaySourceOptions<T>, plan: CsvWorkerPlan): AsyncGenerator<SourceItem<T>[]> {
  if (options.eventTime.kind === 'now') throw new Error('a worker cannot admit rows whose event time is the moment they are sent');
  const workerData: CsvWorkerData = {
    kind: 'csv-replay',
    file: options.file,
    domain: plan.domain,
    eventTime: options.eventTime,
    passes: options.passes,
    skip: options.skip ?? 0,
    schemaId: plan.schemaId,
    partitions: plan.partitions,
    batchRows: 1000,
    maxAhead: 4,
  };
  const worker = new Worker(plan.script.file, { workerData, execArgv: plan.script.execArgv, env: plan.script.env });
  const inbox = new Inbox(worker);
  // Only a dead letter of an event refused after encoding (out of its disorder bound) needs the value back.
  const avro = Type.forSchema(options.contract.avroSchema as Schema, { omitRecordMethods: true });
  const decode = (value: Buffer) => options.contract.parse(avro.fromBuffer(value.subarray(5)));
  try {
    for (;;) {
      const message = await inbox.next();
      if (message.kind === 'end') return;
      if (message.kind === 'error') throw errorOf(message);
      if (message.kind === 'layout') {
        options.onLayout?.(message);
        continue;
      }
      yield itemsOf(message, decode);
      worker.postMessage(CSV_WORKER_CREDIT);
    }
  } finally {
    await inbox.stop();
  }
}
