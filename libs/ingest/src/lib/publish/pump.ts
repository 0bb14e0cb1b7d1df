import { HEADERS, type HeartbeatMessage } from '@pipeline/contracts';
import type { Message } from '@pipeline/kafka';
import { classifyFailure, ingestMetrics, observeIngestSend } from '@pipeline/streaming';
import { createPaceSchedule, type Pace } from '../pacing';
import type { Admission, EncodedEvent, EventTopic, EventValue, SourceItem, SourceItems } from '../source';
import { systemClock, type Clock } from './clock';
import { deadLetterMessage } from './dead-letter';
import { PartitionMaxima, PartitionProgress, partitionOfKey } from './partition-progress';
import type { RecordWriter } from './record-writer';
import { type IngestCounts, type IngestSummary, type ProgressSnapshot } from './summary';

/** Where valid records go and how they are encoded (Avro, Confluent wire format). */
export interface EventSink<T extends EventValue> {
  topic: EventTopic<T>;
  /** The registry's id of the topic's schema (in every encoded record's header). */
  schemaId: number;
  encode(value: T): Promise<Buffer>;
  /** The same bytes without an await per record (the pump's hot loop). */
  encodeSync(value: T): Buffer;
}

export interface BatchingOptions {
  /** Records per send at most. Default 2000. */
  batchSize?: number;
  /** How long a record may wait for its batch to fill, ms. Default 50. While a send is in flight, the batch fills until it is acknowledged. */
  lingerMs?: number;
  /** Watermark heartbeats every this many ms of processing time. Default 1000. */
  heartbeatIntervalMs?: number;
}

/** The pump's memory budget (apart from BatchingOptions, whose settings every service exposes). */
export interface ByteBudgetOptions {
  /**
   * Bytes (keys + values) per send at most. Default 1 MiB. With one send in flight, up to
   * MAX_WAITING_BATCHES full batches waiting and one filling, the records the pump holds stay
   * under six times this, whatever the input's size.
   */
  maxBatchBytes?: number;
}

/** A source's promise about its own disorder (see PartitionProgress). */
export interface DisorderOptions {
  /**
   * Declared disorder bound of the source, ms (default none): events older than the
   * source's highest event time minus this are dead-lettered, and in exchange every
   * partition gets heartbeats at (highest event time − bound), not only its own progress.
   */
  maxDisorderMs?: number;
}

export interface PumpOptions extends BatchingOptions, ByteBudgetOptions, DisorderOptions {
  /** Where records go (a job's transactions); each write is acknowledged before the next starts. */
  writer: RecordWriter;
  deadLetterTopic: string;
  /** Names the source in dead-letter headers and progress: a file path, `generator:iot`. */
  source: string;
  pace: Pace;
  /** Seeds the random batch sizes of the `batches` pace. */
  paceSeed?: number;
  /** The source ending means no more input ever: END_OF_INPUT heartbeats close every window. */
  endOfInput: boolean;
  clock?: Clock;
  /** Stops reading the source; what was read is still sent, then the heartbeats at the highest event time. */
  signal?: AbortSignal;
  onProgress?: (snapshot: ProgressSnapshot) => void;
}

/** How often the pump lets a send in flight progress (ms of reading). */
const YIELD_EVERY_MS = 2;

/**
 * Full batches that may wait for their send while the pump reads on. Most sends of a fast replay take
 * about 4 ms and a batch about 10 ms to fill, but the broker pauses now and then (its own garbage
 * collection, a log roll): sends of 30–50 ms, which held the reading still for 17 % of a replay's time.
 */
export const MAX_WAITING_BATCHES = 4;

export const BATCHING_DEFAULTS = { batchSize: 2000, maxBatchBytes: 2 ** 20, lingerMs: 50, heartbeatIntervalMs: 1000 } as const;

/**
 * The ingest-producer's heap policy (the other services: 100 % and pretenuring on). What the pump keeps
 * alive is a few batches, and nearly all it allocates is garbage once sent:
 * - HEAP_GROWTH_PERCENT 50: a full collection costs little; a 1,000,000-row replay peaked at 157 MiB
 *   with 50 against 172–210 MiB with 100, at the same rows/s.
 * - HEAP_PRETENURING false: the records of a batch all live until its send is acknowledged, so V8
 *   would, on some runs, judge their allocation sites long-lived and allocate them in the old
 *   generation from then on, where they die young but keep their keys and values alive through
 *   young collections: about one full collection every 150 ms instead of every second, and
 *   6–9 µs of CPU per row instead of 5 (libs/ingest README, benchmark).
 */
export const INGEST_HEAP_DEFAULTS = { growthPercent: 50, pretenuring: false } as const;

/** A send that failed after the client's retries; retriable when its cause is an outage (classified by the streaming error policy). */
export class PublishError extends Error {
  readonly retriable: boolean;
  readonly reasonClass: string;
  constructor(
    readonly source: string,
    readonly topics: string[],
    readonly positions: string,
    cause: unknown,
  ) {
    super(`${source}: sending ${positions} to ${topics.join(', ')} failed after retries: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'PublishError';
    const failure = classifyFailure(cause);
    this.retriable = failure.kind === 'retriable';
    this.reasonClass = failure.reasonClass;
  }
}

function byteLength(data: Message['value'] | Message['key']): number {
  if (data === null || data === undefined) return 0;
  return typeof data === 'string' ? Buffer.byteLength(data) : data.length;
}

function isChunk<T>(entry: SourceItem<T> | readonly SourceItem<T>[]): entry is readonly SourceItem<T>[] {
  return Array.isArray(entry);
}

function isRejection<T>(admitted: Admission<T> | EncodedEvent): admitted is Extract<Admission<T>, { accepted: false }> {
  return 'accepted' in admitted && !admitted.accepted;
}

/** The value of an item sent already encoded (its admission decodes it): only a dead letter needs it. */
function acceptedValue<T>(admission: Admission<T>): unknown {
  return admission.accepted ? admission.value : admission.raw;
}

/** Records waiting for their send. */
class PendingBatch {
  readonly events: Message[] = [];
  readonly deadLetters: Message[] = [];
  openedAt = 0;
  firstPosition = '';
  lastPosition = '';
  /** Inputs read by the run up to the batch's last one: where the source stands once it is sent. */
  readThrough = 0;
  minEventTime: number | undefined;
  maxEventTime: number | undefined;
  readonly partitionMaxima = new PartitionMaxima();
  /** Key and value bytes of the batch's records (the pump's memory budget). */
  bytes = 0;
  /** Of which the events' (the dead letters' are the rest). */
  eventBytes = 0;

  get size(): number {
    return this.events.length + this.deadLetters.length;
  }

  note(position: string, now: number): void {
    if (this.size === 0) {
      this.openedAt = now;
      this.firstPosition = position;
    }
    this.lastPosition = position;
  }

  addEvent(message: Message & { key: string | Buffer; value: Buffer; partition: number }, eventTime: number, position: string, now: number): void {
    this.note(position, now);
    this.events.push(message);
    const bytes = byteLength(message.key) + message.value.length;
    this.bytes += bytes;
    this.eventBytes += bytes;
    this.partitionMaxima.note(message.partition, eventTime);
    this.minEventTime = Math.min(this.minEventTime ?? eventTime, eventTime);
    this.maxEventTime = Math.max(this.maxEventTime ?? eventTime, eventTime);
  }

  addDeadLetter(message: Message, position: string, now: number): void {
    this.note(position, now);
    this.deadLetters.push(message);
    this.bytes += byteLength(message.value) + byteLength(message.key);
  }
}

/**
 * Sends a source's items to Kafka: paced, batched (N records or T ms per send), with
 * at most one send in flight while the next batches fill and wait (backpressure beyond
 * MAX_WAITING_BATCHES; kafkajs' idempotent producer can reuse a sequence number when
 * concurrent sends to a partition retry, so sends are not overlapped). Rejected items go to the dead-letter topic in
 * the same sends. Watermark heartbeats follow periodically and at the end, each after every
 * record before it is acknowledged or in the same transactional write as the last of them,
 * each partition's at what is safe for it
 * (PartitionProgress: its own progress, or the source's minus a declared disorder bound).
 */
export async function pump<T extends EventValue>(items: SourceItems<T>, sink: EventSink<T>, options: PumpOptions): Promise<IngestSummary> {
  return new Pump(sink, options).run(items);
}

class Pump<T extends EventValue> {
  private readonly clock: Clock;
  private readonly batchSize: number;
  private readonly maxBatchBytes: number;
  private readonly lingerMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly counts: IngestCounts = { read: 0, produced: 0, deadLettered: 0, heartbeatRounds: 0 };
  private batch = new PendingBatch();
  /** Full batches in the order they are to be sent (see MAX_WAITING_BATCHES). */
  private readonly waiting: Array<{ batch: PendingBatch; withHeartbeats: boolean }> = [];
  /** Settles with the send in flight, once the next waiting batch's send (if any) has started. */
  private inFlight: Promise<void> = Promise.resolve();
  /** A send is in flight (not yet acknowledged or failed). */
  private sending = false;
  /** When the pump last let the event loop run (see afterAdd). */
  private yieldedAt = 0;
  private failure: { error: unknown } | undefined;
  private producedBytes = 0;
  private startedAt = 0;
  private nextHeartbeatAt = 0;
  private minEventTime: number | undefined;
  private maxEventTime: number | undefined;
  private readonly progress: PartitionProgress;

  constructor(
    private readonly sink: EventSink<T>,
    private readonly options: PumpOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.batchSize = options.batchSize ?? BATCHING_DEFAULTS.batchSize;
    this.maxBatchBytes = options.maxBatchBytes ?? BATCHING_DEFAULTS.maxBatchBytes;
    this.lingerMs = options.lingerMs ?? BATCHING_DEFAULTS.lingerMs;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? BATCHING_DEFAULTS.heartbeatIntervalMs;
    this.progress = new PartitionProgress({ partitions: sink.topic.partitions, maxDisorderMs: options.maxDisorderMs });
  }

  async run(items: SourceItems<T>): Promise<IngestSummary> {
    this.startedAt = this.clock.now();
    this.nextHeartbeatAt = this.startedAt + this.heartbeatIntervalMs;
    const schedule = createPaceSchedule(this.options.pace, this.startedAt, this.options.paceSeed);
    let stopped = false;
    reading: for await (const entry of items) {
      for (const item of isChunk(entry) ? entry : [entry]) {
        const due = schedule.next(item.eventTime);
        // One clock read per item, again only after a wait. Awaited only when there is something to wait for or to
        // send: most items of a fast replay have neither.
        let now = this.clock.now();
        if (this.mustWait(due, now)) {
          await this.waitUntil(due);
          now = this.clock.now();
        }
        if (this.options.signal?.aborted) {
          stopped = true;
          break reading;
        }
        if (this.addNow(item, now)) await this.afterAdd();
      }
    }
    await this.drain();
    const endOfInput = this.options.endOfInput && !stopped;
    for (const round of this.progress.closingRounds(endOfInput)) await this.sendHeartbeats(round);
    const snapshot = this.snapshot();
    this.options.onProgress?.(snapshot);
    return {
      ...snapshot,
      deadLetterTopic: this.options.deadLetterTopic,
      minEventTime: this.minEventTime,
      endOfInput,
      stopped,
      ratePerSecond: snapshot.elapsedMs > 0 ? (snapshot.read * 1000) / snapshot.elapsedMs : snapshot.read,
      reconciled: snapshot.read === snapshot.produced + snapshot.deadLettered,
    };
  }

  private snapshot(): ProgressSnapshot {
    return {
      ...this.counts,
      source: this.options.source,
      topic: this.sink.topic.topic,
      elapsedMs: this.clock.now() - this.startedAt,
      maxEventTime: this.maxEventTime,
      producedBytes: this.producedBytes,
    };
  }

  /** Waits for a record's due time, meanwhile sending batches that lingered long enough and heartbeats that are due. */
  private async waitUntil(due: number): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      // A batch that lingered goes at once, except while a send is in flight and the next record is due: then it keeps
      // filling (up to batchSize / maxBatchBytes) and goes when that send is acknowledged, instead of the source idling
      // for the round trip with a small batch (a loaded broker's round trip is longer than the linger).
      if (this.batch.size > 0 && now - this.batch.openedAt >= this.lingerMs && !(this.sending && now >= due)) await this.flush();
      if (now >= this.nextHeartbeatAt) await this.periodicHeartbeat(now);
      if (now >= due || this.options.signal?.aborted) return;
      const lingerEnds = this.batch.size > 0 ? this.batch.openedAt + this.lingerMs : Infinity;
      await this.clock.sleep(Math.min(due, this.nextHeartbeatAt, lingerEnds) - now, this.options.signal);
    }
  }

  /** Whether waitUntil(due) has anything to do now: wait for the due time, send a lingering batch, or heartbeats. */
  private mustWait(due: number, now: number): boolean {
    if (now < due || now >= this.nextHeartbeatAt) return true;
    return this.batch.size > 0 && now - this.batch.openedAt >= this.lingerMs && !this.sending;
  }

  /**
   * Takes an item into the pending batch (admitted, encoded, or dead-lettered); true when afterAdd must run:
   * the batch is full, or a send is in flight and the event loop is due a turn (see afterAdd).
   */
  private addNow(item: SourceItem<T>, now: number): boolean {
    const admitted = item.encoded ?? item.admit(now);
    this.counts.read += 1;
    const contract = this.sink.topic.contract.name;
    this.batch.readThrough = this.counts.read;
    if (isRejection(admitted)) {
      const letter = { source: this.options.source, position: item.position, reason: admitted.reason, contract, raw: admitted.raw };
      this.batch.addDeadLetter(deadLetterMessage(letter), item.position, now);
    } else {
      const event = 'accepted' in admitted ? this.encode(admitted.value) : admitted;
      const outOfBound = this.progress.admit(event.timestamp);
      if (outOfBound === undefined) {
        this.batch.addEvent({ key: event.key, value: event.value, partition: event.partition }, event.timestamp, item.position, now);
      } else {
        const value = 'accepted' in admitted ? admitted.value : acceptedValue(item.admit(now));
        const letter = { source: this.options.source, position: item.position, reason: outOfBound, reasonClass: 'out-of-order', contract, raw: value };
        this.batch.addDeadLetter(deadLetterMessage(letter), item.position, now);
      }
    }
    return this.isFull() || (this.sending && now - this.yieldedAt >= YIELD_EVERY_MS);
  }

  private isFull(): boolean {
    return this.batch.size >= this.batchSize || this.batch.bytes >= this.maxBatchBytes;
  }

  /**
   * Sends a full batch; else, while a send is in flight, lets the event loop run (every YIELD_EVERY_MS):
   * reading a buffered source is a chain of microtasks that would otherwise hold back the send's network
   * steps (the client's AddPartitionsToTxn, produce and EndTxn answers) for as long as the reading takes.
   */
  private async afterAdd(): Promise<void> {
    if (this.isFull()) return this.flush();
    this.yieldedAt = this.clock.now();
    await new Promise((resolve) => setImmediate(resolve));
  }

  private encode(value: T): Omit<EncodedEvent, 'key'> & { key: string } {
    const key = this.sink.topic.key(value);
    return { timestamp: value.timestamp, key, value: this.sink.encodeSync(value), partition: partitionOfKey(key, this.progress.partitions) };
  }

  /**
   * Queues the pending batch for its send, which starts once every earlier one is acknowledged; reading goes on
   * unless more than MAX_WAITING_BATCHES wait. `withHeartbeats`: due heartbeats ride along.
   */
  private async flush(withHeartbeats = false): Promise<void> {
    if (this.batch.size === 0) return;
    this.waiting.push({ batch: this.batch, withHeartbeats });
    this.batch = new PendingBatch();
    this.sendNext();
    while (this.waiting.length > MAX_WAITING_BATCHES && !this.failure) await this.inFlight;
    if (this.failure) throw this.failure.error;
  }

  /** Starts the first waiting batch's send unless a send is in flight: sends never overlap (see pump). */
  private sendNext(): void {
    if (this.sending || this.failure) return;
    const next = this.waiting.shift();
    if (!next) return;
    this.sending = true;
    // The failure is kept and rethrown at the next wait, so it is never an unhandled rejection; the batches after it are not sent.
    this.inFlight = this.send(next.batch, next.withHeartbeats).then(
      () => {
        this.sending = false;
        this.sendNext();
      },
      (error: unknown) => {
        this.sending = false;
        this.failure = { error };
        this.waiting.length = 0;
      },
    );
  }

  /** Waits until every queued batch is sent and acknowledged; rethrows a send's failure. */
  private async settled(): Promise<void> {
    while (this.sending) await this.inFlight;
    if (this.failure) throw this.failure.error;
  }

  private async drain(): Promise<void> {
    await this.flush();
    await this.settled();
  }

  private async send(batch: PendingBatch, withHeartbeats: boolean): Promise<void> {
    // Every earlier send is acknowledged here (flush waited); the heartbeats follow this batch's records in their partitions.
    const heartbeats = withHeartbeats ? this.progress.heartbeats(batch.partitionMaxima) : [];
    const topicMessages = [
      { topic: this.sink.topic.topic, messages: batch.events },
      { topic: this.options.deadLetterTopic, messages: batch.deadLetters },
      // The client merges this entry after the events of the same topic: one request, records first.
      { topic: this.sink.topic.topic, messages: heartbeats },
    ].filter((entry) => entry.messages.length > 0);
    ingestMetrics.read.inc({ source: this.options.source, topic: this.sink.topic.topic }, batch.size);
    const sentAt = performance.now();
    try {
      const reached = { read: batch.readThrough, position: batch.lastPosition, produced: batch.events.length, deadLettered: batch.deadLetters.length };
      await this.options.writer.write(topicMessages, withHeartbeats ? { ...reached, commit: true } : reached);
    } catch (error) {
      const positions = batch.firstPosition === batch.lastPosition ? batch.firstPosition : `${batch.firstPosition}..${batch.lastPosition}`;
      throw new PublishError(this.options.source, topicMessages.map((entry) => entry.topic), `${batch.size} records (${positions})`, error);
    }
    observeIngestSend(this.options.source, this.sink.topic.topic, { events: batch.events.length, deadLetters: batch.deadLetters }, (performance.now() - sentAt) / 1000);
    this.counts.produced += batch.events.length;
    this.producedBytes += batch.eventBytes;
    this.counts.deadLettered += batch.deadLetters.length;
    if (heartbeats.length > 0) this.counts.heartbeatRounds += 1;
    this.progress.acknowledge(batch.partitionMaxima);
    if (batch.minEventTime !== undefined) this.minEventTime = Math.min(this.minEventTime ?? batch.minEventTime, batch.minEventTime);
    if (batch.maxEventTime !== undefined) this.maxEventTime = Math.max(this.maxEventTime ?? batch.maxEventTime, batch.maxEventTime);
    this.options.onProgress?.(this.snapshot());
  }

  /**
   * Heartbeats ride with the pending batch when there is one (in the same transaction, after its
   * records: no wait for the send before and no round trip of their own); otherwise they go alone
   * once everything sent is acknowledged.
   */
  private async periodicHeartbeat(now: number): Promise<void> {
    this.nextHeartbeatAt = now + this.heartbeatIntervalMs;
    if (this.batch.size > 0) return this.flush(true);
    await this.drain();
    await this.sendHeartbeats(this.progress.heartbeats());
  }

  private async sendHeartbeats(messages: HeartbeatMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const topic = this.sink.topic;
    try {
      await this.options.writer.write([{ topic: topic.topic, messages }]);
    } catch (error) {
      const times = messages.map((message) => `${message.partition}@${message.headers[HEADERS.watermarkHeartbeat]}`).join(', ');
      throw new PublishError(this.options.source, [topic.topic], `heartbeats ${times}`, error);
    }
    this.counts.heartbeatRounds += 1;
  }
}
