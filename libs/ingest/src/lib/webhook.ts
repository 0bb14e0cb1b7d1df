import { DOMAINS, type Domain, type TopicNamespace } from '@pipeline/contracts';
import { SEND_DEFAULTS, type Producer, type TopicSpec } from '@pipeline/kafka';
import { ingestMetrics, observeIngestSend } from '@pipeline/streaming';
import { IdempotencyStore } from './idempotency';
import { WebhookDeliveries } from './webhook-deliveries';
import { forDomain } from './jobs';
import { deadLetterMessage } from './publish/dead-letter';
import type { IngestClient } from './publish/ingest-client';
import { PartitionMaxima, PartitionProgress, partitionOfKey } from './publish/partition-progress';
import type { EventSink } from './publish/pump';
import type { IngestCounts } from './publish/summary';
import { admitParsed, renamedTopic, type EventValue } from './source';
import { parseWebhookBody, truncatedBody, WebhookBodyError } from './webhook-body';

export interface WebhookRejection {
  /** Position of the item in the posted array (0 for a single object). */
  index: number;
  reason: string;
}

/**
 * What a post did. One semantics for mixed batches: every valid item is published and every
 * invalid one dead-lettered, in one acknowledged send; 202 when all items were accepted, 207
 * when some were (the rejections name the items by index: every other index was published),
 * 400 when none was.
 */
export interface WebhookOutcome {
  status: 202 | 207 | 400;
  domain: Domain;
  accepted: number;
  rejected: number;
  rejections: WebhookRejection[];
}

export class UnknownDomainError extends Error {
  constructor(readonly domain: string) {
    super(`unknown domain "${domain.slice(0, 100)}"; expected one of ${DOMAINS.join(', ')}`);
    this.name = 'UnknownDomainError';
  }
}

interface Rejected extends WebhookRejection {
  reasonClass?: string;
  raw: unknown;
}

/** A posted item after validation: ready to send, or refused by its contract. */
type EncodedItem =
  | { index: number; rejection: Omit<Rejected, 'index'> }
  | { index: number; eventTime: number; message: { key: string; value: Buffer; partition: number }; raw: unknown };

interface DomainChannel {
  publish(items: unknown[], requestId: string): Promise<Omit<WebhookOutcome, 'status' | 'domain'>>;
  /** Dead-letters a body refused as a whole (its start, as text). */
  reject(body: string, error: WebhookBodyError, requestId: string): Promise<void>;
  heartbeat(): Promise<void>;
}

export interface WebhookIngestorOptions {
  client: IngestClient;
  producer: Producer;
  deadLetterTopic: TopicSpec;
  /** The service's topic namespace: the domains' event topics are bound in it. */
  topics: TopicNamespace;
  /** Watermark heartbeats per domain that received events, every this many ms. Default 1000. */
  heartbeatIntervalMs?: number;
  /**
   * Declared disorder bound of every domain's stream, ms (default none): items older than the
   * domain's highest event time so far minus this are refused (400, dead-lettered), and every
   * partition then gets heartbeats at (highest event time − bound), not only its own progress.
   */
  maxDisorderMs?: number;
  /** Maps each event topic's name, e.g. to a test run's own topics. */
  renameTopic?: (name: string) => string;
  /** Deepest nesting of objects and arrays accepted in a body (default 32). */
  maxDepth?: number;
  /** How long and how many Idempotency-Keys are remembered (default 24 h, 100,000 keys). */
  idempotency?: { ttlMs: number; maxKeys: number };
  /** Where the answered keys are kept beyond the process (webhookDeliveriesSpec); without it, in memory only. */
  deliveriesTopic?: TopicSpec;
}

/** Who posted, and the key that makes a retried delivery publish nothing twice. */
export interface WebhookDelivery {
  /** The authenticated sender (API key or signing secret name): Idempotency-Keys are per sender. */
  client: string;
  idempotencyKey?: string;
}

/**
 * POST /ingest/:domain: each posted item validated with the domain's contract, valid ones
 * published keyed to the event topic, invalid ones to the dead-letter topic (reason, source
 * `webhook:<domain>`, position = item index) in the same acknowledged send. All sends and
 * heartbeats go through one queue: one send in flight, heartbeats after the data before them,
 * each partition's at what is safe for it (PartitionProgress). The disorder bound is checked
 * in the queue, so items are judged in the order they are sent. A body is parsed here (depth
 * checked on the bytes first); an Idempotency-Key runs a delivery once per sender and domain
 * (IdempotencyStore: bounded, TTL; with `deliveriesTopic`, its answers kept in Kafka so a restart
 * remembers them, see WebhookDeliveries).
 */
export class WebhookIngestor {
  private readonly channels = new Map<Domain, Promise<DomainChannel>>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private requests = 0;
  private readonly tally: IngestCounts = { read: 0, produced: 0, deadLettered: 0, heartbeatRounds: 0 };
  private readonly idempotency: IdempotencyStore<WebhookOutcome>;
  private readonly deliveries: WebhookDeliveries | undefined;

  constructor(private readonly options: WebhookIngestorOptions) {
    const remembered = options.idempotency ?? { ttlMs: 86_400_000, maxKeys: 100_000 };
    const { client, deliveriesTopic } = options;
    this.deliveries = deliveriesTopic && new WebhookDeliveries(client.kafka, deliveriesTopic, (spec) => client.ensureTopics([spec]), remembered.maxKeys);
    this.idempotency = new IdempotencyStore<WebhookOutcome>({ ...remembered, onAnswered: (answered) => this.deliveries?.keep(answered) });
    this.timer = setInterval(() => void this.heartbeats(), options.heartbeatIntervalMs ?? 1000);
    this.timer.unref();
  }

  /**
   * Parses a posted body (JSON content type, nesting depth checked before parsing) and
   * publishes its items. A body refused as a whole throws WebhookBodyError; one that was
   * meant as data (too deep, not JSON) is dead-lettered first, its start kept.
   */
  async ingest(domain: string, raw: Buffer, contentType: string | undefined, delivery?: WebhookDelivery): Promise<WebhookOutcome & { replayed?: true }> {
    if (!(DOMAINS as string[]).includes(domain)) throw new UnknownDomainError(domain);
    const key = delivery?.idempotencyKey;
    if (key === undefined) return this.publish(domain as Domain, raw, contentType);
    await this.deliveries?.load(this.idempotency);
    const { result, replayed } = await this.idempotency.once(`${delivery?.client}\n${domain}\n${key}`, raw, () => this.publish(domain as Domain, raw, contentType));
    return replayed ? { ...result, replayed } : result;
  }

  private async publish(domain: Domain, raw: Buffer, contentType: string | undefined): Promise<WebhookOutcome> {
    this.requests += 1;
    const requestId = String(this.requests);
    let items: unknown[];
    try {
      items = parseWebhookBody(raw, contentType, this.options.maxDepth ?? 32);
    } catch (error) {
      if (error instanceof WebhookBodyError && error.deadLetter) await (await this.channel(domain)).reject(truncatedBody(raw), error, requestId);
      throw error;
    }
    const outcome = await (await this.channel(domain)).publish(items, requestId);
    const status = outcome.rejected === 0 ? 202 : outcome.accepted > 0 ? 207 : 400;
    return { status, domain, ...outcome };
  }

  /** Items received, published and dead-lettered so far (all domains). */
  counts(): IngestCounts {
    return { ...this.tally };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.queue;
    // The answers of the last deliveries, so the next run knows them.
    await this.keptAnswers().catch(() => undefined);
  }

  /** Writes the answers waiting to be kept (in the send queue, after the deliveries they answer). */
  private keptAnswers(): Promise<void> {
    const deliveries = this.deliveries;
    if (!deliveries) return Promise.resolve();
    return this.serially(() =>
      deliveries.withAnswers(async (answers) => {
        if (answers.length > 0) await this.options.producer.sendBatch({ ...SEND_DEFAULTS, topicMessages: answers });
      }),
    );
  }

  /** Runs sends one after another (sequence-number safety of kafkajs' idempotent producer). */
  private serially<R>(work: () => Promise<R>): Promise<R> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async heartbeats(): Promise<void> {
    // A channel that failed to open (registry down) rejects here too: skipped, never an unhandled rejection.
    for (const channel of this.channels.values()) await channel.then((open) => open.heartbeat()).catch(() => undefined);
    await this.keptAnswers().catch(() => undefined);
  }

  private channel(domain: Domain): Promise<DomainChannel> {
    let channel = this.channels.get(domain);
    if (!channel) {
      const rename = this.options.renameTopic;
      channel = forDomain(domain, this.options.topics, async (topic) => {
        const named = rename ? renamedTopic(topic, rename(topic.topic)) : topic;
        return this.openChannel(domain, await this.options.client.prepare(named, this.options.deadLetterTopic));
      });
      channel.catch(() => this.channels.delete(domain));
      this.channels.set(domain, channel);
    }
    return channel;
  }

  private openChannel<T extends EventValue>(domain: Domain, sink: EventSink<T>): DomainChannel {
    const source = `webhook:${domain}`;
    const { producer, deadLetterTopic } = this.options;
    const progress = new PartitionProgress({ partitions: sink.topic.partitions, maxDisorderMs: this.options.maxDisorderMs });
    const contract = sink.topic.contract.name;
    return {
      publish: async (items, requestId) => {
        const admissions = items.map((item) => admitParsed(() => sink.topic.contract.parse(item), () => item));
        const encoded = await Promise.all(
          admissions.map(async (admission, index): Promise<EncodedItem> => {
            if (!admission.accepted) return { index, rejection: { reason: admission.reason, raw: admission.raw } };
            const key = sink.topic.key(admission.value);
            const message = { key, value: await sink.encode(admission.value), partition: partitionOfKey(key, progress.partitions) };
            return { index, eventTime: admission.value.timestamp, message, raw: admission.value };
          }),
        );
        this.tally.read += items.length;
        ingestMetrics.read.inc({ source, topic: sink.topic.topic }, items.length);
        return this.serially(async () => {
          const events: Array<{ key: string; value: Buffer; partition: number }> = [];
          const maxima = new PartitionMaxima();
          const rejections: Rejected[] = [];
          for (const item of encoded) {
            if ('rejection' in item) {
              rejections.push({ index: item.index, ...item.rejection });
              continue;
            }
            const outOfBound = progress.admit(item.eventTime);
            if (outOfBound !== undefined) {
              rejections.push({ index: item.index, reason: outOfBound, reasonClass: 'out-of-order', raw: item.raw });
              continue;
            }
            events.push(item.message);
            maxima.note(item.message.partition, item.eventTime);
          }
          const deadLetters = rejections.map((rejection) =>
            deadLetterMessage({ source, position: `request ${requestId} item ${rejection.index}`, reason: rejection.reason, reasonClass: rejection.reasonClass, contract, raw: rejection.raw }),
          );
          const topicMessages = [
            { topic: sink.topic.topic, messages: events },
            { topic: deadLetterTopic.topic, messages: deadLetters },
          ].filter((entry) => entry.messages.length > 0);
          const sentAt = performance.now();
          const send = (answers: typeof topicMessages) => producer.sendBatch({ ...SEND_DEFAULTS, topicMessages: topicMessages.concat(answers) });
          // Answers of earlier deliveries ride along: each written after its own delivery was acknowledged.
          await (this.deliveries ? this.deliveries.withAnswers(send) : send([]));
          observeIngestSend(source, sink.topic.topic, { events: events.length, deadLetters }, (performance.now() - sentAt) / 1000);
          progress.acknowledge(maxima);
          this.tally.produced += events.length;
          this.tally.deadLettered += deadLetters.length;
          return { accepted: events.length, rejected: rejections.length, rejections: rejections.map(({ index, reason }) => ({ index, reason })) };
        });
      },
      reject: (body, error, requestId) =>
        this.serially(async () => {
          this.tally.read += 1;
          ingestMetrics.read.inc({ source, topic: sink.topic.topic });
          const letter = deadLetterMessage({ source, position: `request ${requestId}`, reason: error.message, reasonClass: error.problem, contract, raw: body });
          const sentAt = performance.now();
          await producer.send({ ...SEND_DEFAULTS, topic: deadLetterTopic.topic, messages: [letter] });
          observeIngestSend(source, sink.topic.topic, { events: 0, deadLetters: [letter] }, (performance.now() - sentAt) / 1000);
          this.tally.deadLettered += 1;
        }),
      heartbeat: () =>
        this.serially(async () => {
          // Computed in the queue: it claims only what every send before it made safe.
          const messages = progress.heartbeats();
          if (messages.length === 0) return;
          await producer.send({ ...SEND_DEFAULTS, topic: sink.topic.topic, messages });
          this.tally.heartbeatRounds += 1;
        }),
    };
  }
}
