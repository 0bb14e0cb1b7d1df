import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { deadLetterTopic, TopicNamespace } from '@pipeline/contracts';
import { formatProgress, IngestClient, ProgressReporter, runRetrying, webhookDeliveriesSpec, WebhookIngestor, type ProgressSnapshot, type WebhookDelivery, type WebhookOutcome } from '@pipeline/ingest';
import { createReliableProducer, kafkaClusterFrom, schemaRegistryFrom, type Producer } from '@pipeline/kafka';
import { kafkaLogSink, SERVICE_CONFIG } from '@pipeline/service-kit';
import { jobBoard } from './job-board';
import { planJobs, runJob } from './job-plan';
import type { IngestProducerConfig } from './service';

/**
 * The service's ingest work: the jobs the environment selects (started at boot, stopped
 * gracefully on shutdown: what was read is sent, heartbeats follow) and the webhook.
 */
@Injectable()
export class IngestRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ingest');
  private readonly stop = new AbortController();
  private readonly running: Array<Promise<unknown>> = [];
  private readonly client: IngestClient;
  private readonly producer: Producer;
  private readonly webhook: WebhookIngestor;
  private connected: Promise<void> | undefined;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: IngestProducerConfig,
    private readonly topics: TopicNamespace,
  ) {
    this.client = new IngestClient(this.connection().connection);
    this.producer = createReliableProducer(this.client.kafka);
    this.webhook = new WebhookIngestor({
      client: this.client,
      producer: this.producer,
      topics,
      deadLetterTopic: topics.bind(deadLetterTopic),
      heartbeatIntervalMs: config.INGEST_HEARTBEAT_MS,
      maxDisorderMs: config.INGEST_MAX_DISORDER_MS,
      maxDepth: config.WEBHOOK_MAX_DEPTH,
      idempotency: { ttlMs: config.WEBHOOK_IDEMPOTENCY_TTL_S * 1000, maxKeys: config.WEBHOOK_IDEMPOTENCY_MAX_KEYS },
      // Answered keys survive a restart or a redeploy (kept in Kafka, read back before the first keyed delivery).
      deliveriesTopic: webhookDeliveriesSpec(topics, config.WEBHOOK_IDEMPOTENCY_TTL_S * 1000),
    });
  }

  onApplicationBootstrap(): void {
    const plan = planJobs(this.config, Date.now());
    for (const job of plan.jobs) {
      const reporter = new ProgressReporter({ log: (line) => this.logger.log(line), intervalMs: this.config.INGEST_PROGRESS_MS });
      const onProgress = (snapshot: ProgressSnapshot) => reporter.update(snapshot);
      const log = (line: string) => this.logger.log(line);
      const options = { ...this.connection(), topics: this.topics, ...plan.batching, restart: this.config.INGEST_RESTART, ...(this.config.INGEST_COMMIT_INTERVAL_MS !== undefined && { commitIntervalMs: this.config.INGEST_COMMIT_INTERVAL_MS }), signal: this.stop.signal, log };
      // An outage (broker, registry) is waited out with backoff, /health saying what for; the job then resumes from its committed position.
      const retrying = { deadlineMs: this.config.INGEST_DEPENDENCY_DEADLINE_MS, signal: this.stop.signal, onWaiting: (waitingFor: string, retryInMs: number) => this.waiting(job.name, waitingFor, retryInMs) };
      const done = jobBoard
        .track(job.name, (track) => runRetrying(() => runJob(job, { ...options, onProgress: (snapshot) => (track(snapshot), onProgress(snapshot)) }), retrying))
        .then((summary) => this.logger.log(`${job.name} ended, ${summary.reconciled ? 'reconciled' : 'NOT reconciled'}${summary.endOfInput ? ', END_OF_INPUT sent' : ''}: ${formatProgress(summary, summary.ratePerSecond)}`))
        .catch((error: unknown) => this.logger.error(`${job.name} failed: ${error instanceof Error ? error.message : String(error)}`));
      this.running.push(done);
    }
    if (plan.jobs.length === 0) this.logger.log('no ingest jobs selected (INGEST_CSV_FILE, INGEST_POLL_CONFIG, INGEST_GENERATORS); the webhook takes POST /ingest/:domain');
  }

  /** Parses, validates and publishes a webhook body (the producer connects on first use). */
  async ingest(domain: string, raw: Buffer, contentType: string | undefined, delivery: WebhookDelivery): Promise<WebhookOutcome & { replayed?: true }> {
    this.connected ??= this.producer.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    await this.connected;
    return this.webhook.ingest(domain, raw, contentType, delivery);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stop.abort();
    await Promise.allSettled(this.running);
    await this.webhook.close();
    if (this.connected) await this.producer.disconnect();
  }

  private waiting(name: string, waitingFor: string, retryInMs: number): void {
    jobBoard.waiting(name, waitingFor);
    this.logger.warn(`${name}: ${waitingFor}; retrying in ${Math.round(retryInMs)} ms`);
  }

  private connection() {
    return { connection: { kafka: kafkaClusterFrom(this.config), registry: schemaRegistryFrom(this.config), clientId: 'ingest-producer', log: kafkaLogSink() } };
  }
}
