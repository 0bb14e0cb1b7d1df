import type { PlainTopicDefinition, TopicNamespace } from '@pipeline/contracts';
import { readPartitionsToEnd, type Kafka, type Message, type TopicSpec } from '@pipeline/kafka';
import type { AnsweredKey, IdempotencyStore } from './idempotency';
import type { WebhookOutcome } from './webhook';

/**
 * The webhook's answered Idempotency-Keys, kept so a restarted or redeployed ingest-producer
 * answers a retry the way the first run did. One partition (one ingest-producer writes it),
 * compacted by key; records older than the keys' TTL are deleted (retention.ms, see
 * webhookDeliveriesSpec).
 */
export const webhookDeliveriesTopic: PlainTopicDefinition = {
  name: 'pipeline.webhook-deliveries',
  partitions: 1,
  config: { 'cleanup.policy': 'compact,delete', 'segment.ms': '3600000', 'min.cleanable.dirty.ratio': '0.1' },
};

/** The topic in a namespace, keeping records as long as the keys are remembered. */
export function webhookDeliveriesSpec(topics: TopicNamespace, ttlMs: number): TopicSpec {
  const spec = topics.bind(webhookDeliveriesTopic);
  return { ...spec, config: { ...spec.config, 'retention.ms': String(ttlMs) } };
}

/** Rejections kept per answer: a 207 for a huge body keeps its counts, and the reasons of its first items. */
const KEPT_REJECTIONS = 1_000;

interface KeptAnswer {
  version: 1;
  fingerprint: string;
  expiresAt: number;
  result: WebhookOutcome;
}

export function deliveryRecord(answered: AnsweredKey<WebhookOutcome>): Message {
  const { result } = answered;
  const kept: KeptAnswer = { version: 1, fingerprint: answered.fingerprint, expiresAt: answered.expiresAt, result: { ...result, rejections: result.rejections.slice(0, KEPT_REJECTIONS) } };
  return { key: answered.key, value: JSON.stringify(kept) };
}

/** A kept answer, or undefined for a record this version cannot read (it is then not remembered: a retry runs again). */
export function answeredKeyOf(key: string | undefined, value: string | undefined): AnsweredKey<WebhookOutcome> | undefined {
  if (key === undefined || value === undefined) return undefined;
  try {
    const kept = JSON.parse(value) as Partial<KeptAnswer>;
    if (kept.version !== 1 || typeof kept.fingerprint !== 'string' || typeof kept.expiresAt !== 'number' || typeof kept.result !== 'object' || kept.result === null) return undefined;
    return { key, fingerprint: kept.fingerprint, expiresAt: kept.expiresAt, result: kept.result };
  } catch {
    return undefined;
  }
}

/**
 * Where the answers go and come back from. An answer is written after its delivery's records were
 * acknowledged, with the ingestor's next send (or within a heartbeat interval): a crash in between
 * forgets that one answer, and its retry publishes again, as before. Loaded once per process, before
 * the first delivery with a key: the newest `maxKeys` answers, oldest first.
 */
export class WebhookDeliveries {
  private loading: Promise<void> | undefined;
  private pending: Message[] = [];

  constructor(
    private readonly kafka: Kafka,
    readonly spec: TopicSpec,
    private readonly ensureTopic: (spec: TopicSpec) => Promise<void>,
    private readonly maxKeys: number,
  ) {}

  /** Takes the answers of earlier runs into `store`, once; a failed load (Kafka away) is tried again by the next call. */
  load(store: IdempotencyStore<WebhookOutcome>): Promise<void> {
    this.loading ??= (async () => {
      await this.ensureTopic(this.spec);
      await readPartitionsToEnd(
        this.kafka,
        this.spec.topic,
        [0],
        (record) => {
          const answered = answeredKeyOf(record.key?.toString('utf8'), record.value?.toString('utf8'));
          if (answered) store.remember(answered);
        },
        { lastOffsets: this.maxKeys },
      );
    })().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  keep(answered: AnsweredKey<WebhookOutcome>): void {
    this.pending.push(deliveryRecord(answered));
  }

  /**
   * Hands the answers waiting to be written to one send, as its entry for this topic (none when
   * nothing waits); if the send fails they wait for the next one.
   */
  async withAnswers<T>(send: (entries: Array<{ topic: string; messages: Message[] }>) => Promise<T>): Promise<T> {
    const messages = this.pending;
    this.pending = [];
    try {
      return await send(messages.length > 0 ? [{ topic: this.spec.topic, messages }] : []);
    } catch (error) {
      this.pending = messages.concat(this.pending);
      throw error;
    }
  }
}
