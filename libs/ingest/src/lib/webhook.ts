import { DOMAINS, type Domain } from '@pipeline/contracts';
import { SEND_DEFAULTS, type Producer, type TopicSpec } from '@pipeline/kafka';
import { ingestMetrics, observeIngestSend } from '@pipeline/streaming';
import { forDomain } from './jobs';
import { deadLetterMessage } from './publish/dead-letter';
import type { IngestClient } from './publish/ingest-client';
import { PartitionMaxima, PartitionProgress, partitionOfKey } from './publish/partition-progress';
import type { EventSink } from './publish/pump';
import type { IngestCounts } from './publish/summary';
import { admitParsed, renamedTopic, type EventValue } from './source';

export interface WebhookRejection {
  /** Position of the item in the posted array (0 for a single object). */
  index: number;
  reason: string;
}

export interface WebhookOutcome {
  /** 202 when every item was valid, 400 when some were not (the valid ones are still published). */
  status: 202 | 400;
  domain: Domain;
  accepted: number;
  rejected: number;
  rejections: WebhookRejection[];
}

export class UnknownDomainError extends Error {
  constructor(readonly domain: string) {
    super(`unknown domain "${domain}"; expected one of ${DOMAINS.join(', ')}`);
    this.name = 'UnknownDomainError';
  }
}

export class WebhookBodyError extends Error {
  constructor(readonly received: string) {
    super(`the body must be a JSON object or an array of objects, got ${received}`);
    this.name = 'WebhookBodyError';
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
  heartbeat(): Promise<void>;
}

export interface WebhookIngestorOptions {
  client: IngestClient;
  producer: Producer;
  deadLetterTopic: TopicSpec;
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
}

/**
 * POST /ingest/:domain: each posted item validated with the domain's contract, valid ones
 * published keyed to the event topic, invalid ones to the dead-letter topic (reason, source
 * `webhook:<domain>`, position = item index) in the same acknowledged send. All sends and
 * heartbeats go through one queue: one send in flight, heartbeats after the data before them,
 * each partition's at what is safe for it (PartitionProgress). The disorder bound is checked
 * in the queue, so items are judged in the order they are sent.
 */
export class WebhookIngestor {
  private readonly channels = new Map<Domain, Promise<DomainChannel>>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private requests = 0;
  private readonly tally: IngestCounts = { read: 0, produced: 0, deadLettered: 0, heartbeatRounds: 0 };

  constructor(private readonly options: WebhookIngestorOptions) {
    this.timer = setInterval(() => void this.heartbeats(), options.heartbeatIntervalMs ?? 1000);
    this.timer.unref();
  }

  async ingest(domain: string, body: unknown): Promise<WebhookOutcome> {
    if (!(DOMAINS as string[]).includes(domain)) throw new UnknownDomainError(domain);
    const items = Array.isArray(body) ? body : [body];
    if (body === null || typeof body !== 'object' || items.length === 0) throw new WebhookBodyError(Array.isArray(body) ? 'an empty array' : typeof body);
    const channel = await this.channel(domain as Domain);
    this.requests += 1;
    const outcome = await channel.publish(items, String(this.requests));
    return { status: outcome.rejected > 0 ? 400 : 202, domain: domain as Domain, ...outcome };
  }

  /** Items received, published and dead-lettered so far (all domains). */
  counts(): IngestCounts {
    return { ...this.tally };
  }

  close(): Promise<unknown> {
    clearInterval(this.timer);
    return this.queue;
  }

  /** Runs sends one after another (sequence-number safety of kafkajs' idempotent producer). */
  private serially<R>(work: () => Promise<R>): Promise<R> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async heartbeats(): Promise<void> {
    for (const channel of this.channels.values()) await (await channel).heartbeat().catch(() => undefined);
  }

  private channel(domain: Domain): Promise<DomainChannel> {
    let channel = this.channels.get(domain);
    if (!channel) {
      const rename = this.options.renameTopic;
      channel = forDomain(domain, async (topic) => {
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
          await producer.sendBatch({ ...SEND_DEFAULTS, topicMessages });
          observeIngestSend(source, sink.topic.topic, { events: events.length, deadLetters }, (performance.now() - sentAt) / 1000);
          progress.acknowledge(maxima);
          this.tally.produced += events.length;
          this.tally.deadLettered += deadLetters.length;
          return { accepted: events.length, rejected: rejections.length, rejections: rejections.map(({ index, reason }) => ({ index, reason })) };
        });
      },
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
