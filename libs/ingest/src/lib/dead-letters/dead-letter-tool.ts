import { HEADERS, TopicNamespace } from '@pipeline/contracts';
import { createAvroCodec, readPartitionsToEnd, SEND_DEFAULTS, type AvroCodec, type IHeaders, type Kafka, type LeftoverScope, type Message, type Producer } from '@pipeline/kafka';
import { classifyFailure } from '@pipeline/streaming';
import { IngestClient, type IngestConnection } from '../publish/ingest-client';
import {
  DEAD_LETTER_HEADERS,
  DeadLetterGrouper,
  DeadLetterSelection,
  DeadLetterSelectionError,
  positionOf,
  toDeadLetterEntry,
  type DeadLetterEntry,
  type DeadLetterFilter,
  type DeadLetterGroup,
} from './dead-letter-entry';
import { decodePayload, type DecodedPayload } from './payload';
import { bindingFor, ledgerMessage, planReplay, replayLedgerTopic, type DeadLetterFix, type PlannedReplay } from './replay-plan';

/** Which dead letters: positions (`<partition>:<offset>`), or the filters and a limit. */
export interface DeadLetterQuery {
  positions?: readonly { partition: number; offset: string }[];
  filter?: DeadLetterFilter;
  limit?: number;
}

export interface DeadLetterListing {
  deadLetterTopic: string;
  /** Records read (up to the end offsets taken at the start). */
  read: number;
  /** Records that matched the filters (before the limit). */
  matched: number;
  /** Records grouped (matched, at most the limit). */
  listed: number;
  groups: DeadLetterGroup[];
}

export interface ShownDeadLetter {
  deadLetterTopic: string;
  entry: DeadLetterEntry;
  key: DecodedPayload;
  value: DecodedPayload;
}

export interface ReplayRequest extends DeadLetterQuery {
  /** Corrected values (`--fixed`): exactly these dead letters are replayed, with these values. */
  fixes?: readonly DeadLetterFix[];
  dryRun?: boolean;
}

export interface ReplayReport {
  deadLetterTopic: string;
  ledgerTopic: string;
  dryRun: boolean;
  /** Sent (or, in a dry run, would be sent): dead letter → target topic. */
  sent: { position: string; target: string; fixed: boolean }[];
  /** In the ledger already: not sent again. */
  alreadyReplayed: { position: string; target: string }[];
}

/** Another replay of the same dead-letter topic started and fenced this one: its open transaction was aborted. */
export class ReplayFencedError extends Error {
  /** Running it again sends what is left: the ledger skips what either replay committed. */
  readonly retriable = true;
  readonly reasonClass = 'fenced';
  constructor(
    readonly deadLetterTopic: string,
    cause: unknown,
  ) {
    super(`another replay of ${deadLetterTopic} started and fenced this one: its open transaction was aborted (what it committed stays, recorded in the ledger); run it again to send what is left`, { cause });
    this.name = 'ReplayFencedError';
  }
}

/** Records (and ledger entries) per transaction of a replay. */
const REPLAY_CHUNK = 500;

/**
 * The dead-letter tooling behind `ingest-producer dlq`: list, show and replay the records of
 * one dead-letter topic, read read_committed up to the end offsets taken when the command
 * starts (never "until quiet", so a busy topic cannot keep a command running).
 */
export class DeadLetterTool {
  private readonly client: IngestClient;

  constructor(
    connection: IngestConnection,
    readonly deadLetterTopic: string,
    /** The namespace of the topics dead letters go back to (fixed raw rows find their contract's topic in it). */
    private readonly topics: TopicNamespace = TopicNamespace.none,
  ) {
    this.client = new IngestClient({ ...connection, clientId: connection.clientId ?? 'ingest-producer-dlq' });
  }

  private get kafka(): Kafka {
    return this.client.kafka;
  }

  /** Partitions of a topic; undefined when it does not exist. */
  private async partitionsOf(topic: string): Promise<number[] | undefined> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const topics = await admin.listTopics();
      if (!topics.includes(topic)) return undefined;
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [topic] });
      return (metadata[0]?.partitions ?? []).map((partition) => partition.partitionId).sort((a, b) => a - b);
    } finally {
      await admin.disconnect();
    }
  }

  /** Every record of the chosen partitions (default all) as an entry, up to their end offsets now. */
  async read(onEntry: (entry: DeadLetterEntry) => void, partitions?: readonly number[]): Promise<number> {
    const existing = await this.partitionsOf(this.deadLetterTopic);
    if (!existing) throw new DeadLetterSelectionError(`dead-letter topic ${this.deadLetterTopic} does not exist: nothing was ever dead-lettered there (is PIPELINE_TOPIC_NAMESPACE or --dead-letter-topic right?)`);
    const missing = (partitions ?? []).filter((partition) => !existing.includes(partition));
    if (missing.length > 0) throw new DeadLetterSelectionError(`${this.deadLetterTopic} has no partition ${missing.join(', ')} (partitions 0-${existing.length - 1})`);
    let read = 0;
    await readPartitionsToEnd(this.kafka, this.deadLetterTopic, partitions ?? existing, (message, partition) => {
      read++;
      onEntry(toDeadLetterEntry(message, partition));
    });
    return read;
  }

  /** Groups by hour, reason class, source topic and source, with counts and offsets. */
  async list(query: DeadLetterQuery = {}): Promise<DeadLetterListing> {
    const selection = new DeadLetterSelection(query.filter ?? {}, query.limit);
    const grouper = new DeadLetterGrouper();
    // Without a limit, entries are grouped as they come: the topic is never held in memory.
    const read = await this.read((entry) => {
      if (selection.offer(entry) && query.limit === undefined) grouper.add(entry);
    });
    if (query.limit !== undefined) for (const entry of selection.entries()) grouper.add(entry);
    return { deadLetterTopic: this.deadLetterTopic, read, matched: selection.matchedCount, listed: grouper.count, groups: grouper.result() };
  }

  /** One record, its key and value decoded (registry-framed Avro through the registry), with all its headers. */
  async show(position: { partition: number; offset: string }): Promise<ShownDeadLetter> {
    // find() refuses a position without a record, so there is exactly one.
    const entry = (await this.find([position]))[0] as DeadLetterEntry;
    const decodeAvro = (framed: Buffer) => this.client.registry.decode(framed) as Promise<unknown>;
    const [key, value] = await Promise.all([decodePayload(entry.key, decodeAvro), decodePayload(entry.value, decodeAvro)]);
    return { deadLetterTopic: this.deadLetterTopic, entry, key, value };
  }

  /** The entries at these positions, in the order given; refuses positions that hold no record. */
  private async find(positions: readonly { partition: number; offset: string }[]): Promise<DeadLetterEntry[]> {
    const wanted = new Set(positions.map(positionOf));
    const found = new Map<string, DeadLetterEntry>();
    const partitions = [...new Set(positions.map((position) => position.partition))];
    await this.read((entry) => {
      if (wanted.has(positionOf(entry))) found.set(positionOf(entry), entry);
    }, partitions);
    const missing = [...wanted].filter((position) => !found.has(position));
    if (missing.length > 0) throw new DeadLetterSelectionError(`no dead letter at ${missing.join(', ')} on ${this.deadLetterTopic} (not written yet, aborted, or a transaction marker)`);
    return positions.map((position) => found.get(positionOf(position)) as DeadLetterEntry);
  }

  private async select(request: ReplayRequest): Promise<DeadLetterEntry[]> {
    if (request.fixes) return this.find(request.fixes);
    if (request.positions && request.positions.length > 0) return this.find(request.positions);
    const selection = new DeadLetterSelection(request.filter ?? {}, request.limit);
    await this.read((entry) => selection.offer(entry));
    return selection.entries();
  }

  /**
   * Sends the selected dead letters back to their source topics, each with its replay recorded
   * in the ledger in the same transaction: a dead letter in the ledger is never sent again, and
   * a crash leaves either both or neither. Replays of one dead-letter topic share a
   * transactional id, so a concurrent or killed replay is fenced and its open transaction
   * aborted before the ledger is read. Refused as a whole (nothing sent): a record without a
   * target topic, a fix its contract rejects, a target topic that does not exist.
   */
  async replay(request: ReplayRequest): Promise<ReplayReport> {
    const ledger = replayLedgerTopic(this.deadLetterTopic);
    const entries = await this.select(request);
    const report = (plan: { send: PlannedReplay[]; alreadyReplayed: { entry: DeadLetterEntry; target: string }[] }, dryRun: boolean): ReplayReport => ({
      deadLetterTopic: this.deadLetterTopic,
      ledgerTopic: ledger.topic,
      dryRun,
      sent: plan.send.map((item) => ({ position: positionOf(item.entry), target: item.target, fixed: item.fix !== undefined })),
      alreadyReplayed: plan.alreadyReplayed.map((item) => ({ position: positionOf(item.entry), target: item.target })),
    });
    if (request.dryRun) {
      const plan = planReplay(entries, await this.replayed(ledger.topic), request.fixes, this.topics);
      await this.messagesFor(plan.send, false);
      return report(plan, true);
    }
    await this.client.ensureTopics([ledger]);
    // Where an earlier run of this replay sent, as far as this one can tell (its own selection's targets): what a
    // broker restart left hanging there and in the ledger is settled before the ledger is read (settleLeftovers).
    const targets = planReplay(entries, new Set(), request.fixes, this.topics).send.map((item) => item.target);
    return this.inTransactions(`${this.deadLetterTopic}.replay`, { topics: [ledger.topic, ...new Set(targets)] }, async (producer) => {
      // kafkajs initialises the transactional id once more at the first transaction() (besides connect()): only
      // from then on is every other replay fenced and its open transaction aborted. So the ledger is read after
      // it; read before, two replays starting together both found it empty and both sent (seen in the spec).
      let transaction = await producer.transaction();
      try {
        const plan = planReplay(entries, await this.replayed(ledger.topic), request.fixes, this.topics);
        const messages = await this.messagesFor(plan.send, true);
        for (let start = 0; start < plan.send.length; start += REPLAY_CHUNK) {
          if (start > 0) transaction = await producer.transaction();
          const chunk = plan.send.slice(start, start + REPLAY_CHUNK);
          const byTopic = new Map<string, Message[]>();
          const ledgerRecords: Message[] = [];
          chunk.forEach((item, index) => {
            const message = messages[start + index] as Message;
            let records = byTopic.get(item.target);
            if (!records) byTopic.set(item.target, (records = []));
            records.push(message);
            const { partition, offset } = item.entry;
            ledgerRecords.push(ledgerMessage({ version: 1, deadLetter: { topic: this.deadLetterTopic, partition, offset }, target: item.target, fixed: item.fix !== undefined, replayedAt: new Date().toISOString() }));
          });
          const topicMessages = [...byTopic].map(([topic, records]) => ({ topic, messages: records }));
          topicMessages.push({ topic: ledger.topic, messages: ledgerRecords });
          await transaction.sendBatch({ ...SEND_DEFAULTS, topicMessages });
          await transaction.commit();
        }
        // Nothing to send: the transaction has no partition, so ending it sends no request.
        if (transaction.isActive()) await transaction.abort();
        return report(plan, false);
      } catch (error) {
        if (transaction.isActive()) await transaction.abort().catch(() => undefined);
        throw error;
      }
    });
  }

  /** Runs the replay with its transactional producer; a fence by another replay becomes a ReplayFencedError. */
  private async inTransactions(transactionalId: string, writesTo: LeftoverScope, work: (producer: Producer) => Promise<ReplayReport>): Promise<ReplayReport> {
    try {
      return await this.client.withTransactionalProducer(transactionalId, work, writesTo);
    } catch (error) {
      if (!(error instanceof DeadLetterSelectionError) && classifyFailure(error).kind === 'fenced') throw new ReplayFencedError(this.deadLetterTopic, error);
      throw error;
    }
  }

  /** Positions in the ledger, read read_committed to its end. */
  private async replayed(ledgerTopic: string): Promise<Set<string>> {
    const replayed = new Set<string>();
    if (!(await this.partitionsOf(ledgerTopic))) return replayed;
    await readPartitionsToEnd(this.kafka, ledgerTopic, [0], (record) => {
      const key = record.key?.toString('utf8');
      if (key) replayed.add(key);
    });
    return replayed;
  }

  /**
   * The records to send, checked before anything is sent: target topics exist, fixed values
   * pass their contract. `encode` registers the target's schema (a dry run only validates).
   */
  private async messagesFor(items: readonly PlannedReplay[], encode: boolean): Promise<Message[]> {
    const targets = [...new Set(items.map((item) => item.target))];
    const missing: string[] = [];
    for (const target of targets) if (!(await this.partitionsOf(target))) missing.push(target);
    if (missing.length > 0) throw new DeadLetterSelectionError(`refused, nothing sent: target topic ${missing.join(', ')} does not exist`);

    const problems: string[] = [];
    const fixed = items.flatMap((item) => (item.fix ? [{ item, fix: item.fix }] : []));
    const validated = new Map<PlannedReplay, { value: unknown; key: string }>();
    for (const { item, fix } of fixed) {
      const binding = bindingFor(item.target, item.entry.contract, this.topics);
      if (!binding) {
        problems.push(`line ${fix.line} (${positionOf(fix)}): no contract known for topic ${item.target}${item.entry.contract ? ` or contract ${item.entry.contract}` : ''}`);
        continue;
      }
      try {
        const value = binding.contract.parse(fix.value);
        validated.set(item, { value, key: binding.key(value) });
      } catch (error) {
        problems.push(`line ${fix.line} (${positionOf(fix)}): ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (problems.length > 0) throw new DeadLetterSelectionError(`refused, nothing sent: invalid fixes: ${problems.join('; ')}`);
    if (!encode) return [];

    // One codec per target topic, registered under its own subject (`<topic>-value`) with its contract's schema.
    const codecs = new Map<string, Promise<AvroCodec<unknown>>>();
    const codecFor = (item: PlannedReplay) => {
      let codec = codecs.get(item.target);
      if (!codec) {
        const binding = bindingFor(item.target, item.entry.contract, this.topics);
        if (!binding) throw new DeadLetterSelectionError(`no contract known for topic ${item.target}`);
        codec = createAvroCodec<unknown>(this.client.registry, { subject: `${item.target}-value`, schema: binding.contract.avroSchema, validate: binding.contract.parse });
        codecs.set(item.target, codec);
      }
      return codec;
    };
    const messages: Message[] = [];
    for (const item of items) {
      const headers = replayHeaders(item.entry, this.deadLetterTopic);
      const fix = validated.get(item);
      if (fix) {
        messages.push({ key: fix.key, value: (await codecFor(item)).encodeSync(fix.value), headers });
        continue;
      }
      // Back where it was read from, byte for byte: same key, same value, same partition when known.
      const sourcePartition = Number(item.entry.headers[HEADERS.sourcePartition]?.[0]);
      messages.push({ key: item.entry.key, value: item.entry.value, headers, ...(Number.isInteger(sourcePartition) && { partition: sourcePartition }) });
    }
    return messages;
  }
}

/** The original record's own headers (the dead letter's removed) and where it was replayed from. */
export function replayHeaders(entry: DeadLetterEntry, deadLetterTopic: string): IHeaders {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(entry.rawHeaders)) {
    if (DEAD_LETTER_HEADERS.includes(name) || name === HEADERS.replayedFrom || value === undefined) continue;
    headers[name] = value;
  }
  headers[HEADERS.replayedFrom] = `${deadLetterTopic}/${positionOf(entry)}`;
  return headers;
}
