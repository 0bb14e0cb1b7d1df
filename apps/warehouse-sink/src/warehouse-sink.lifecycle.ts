import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { TopicNamespace } from '@pipeline/contracts';
import { HealthContributors, kafkaLogSink, SERVICE_CONFIG } from '@pipeline/service-kit';
import { warehouseSinkService, type WarehouseSinkService } from '@pipeline/warehouse';
import { sinkSettingsFrom, type WarehouseSinkConfig } from './service';

const TOTALS_LOG_INTERVAL_MS = 60_000;

/**
 * The sink's stream server (main.ts connects it as a Nest transport): it migrates the
 * warehouse before consuming, lands batches, and stops cleanly on SIGTERM.
 */
@Injectable()
export class WarehouseSinkLifecycle implements OnApplicationShutdown {
  private readonly logger = new Logger('warehouse-sink');
  readonly sink: WarehouseSinkService;
  private readonly totalsTimer: NodeJS.Timeout;

  constructor(@Inject(SERVICE_CONFIG) config: WarehouseSinkConfig, health: HealthContributors, topics: TopicNamespace) {
    const settings = sinkSettingsFrom(config);
    this.sink = warehouseSinkService(settings, {
      topics,
      stallAfterMs: config.WAREHOUSE_STALL_AFTER_MS,
      kafkaLog: kafkaLogSink(),
      logger: {
        log: (message, context) => this.logger.log({ msg: message, schema: settings.schema, ...context }),
        warn: (message, context) => this.logger.warn({ msg: message, ...context }),
        error: (message, context) => this.logger.error({ msg: message, ...context }),
      },
      listener: {
        batchCommitted: (batch) => this.logger.debug(batch, 'batch landed'),
        recordDeadLettered: (record) => this.logger.warn(record, 'record dead-lettered'),
      },
    });
    health.add({ name: 'sink', health: () => this.sink.server.health() });
    const counters = () => this.sink.handler.counters;
    // Progress at the default log level: the totals once a minute, when something landed.
    let loggedBatches = 0;
    this.totalsTimer = setInterval(() => {
      const current = counters();
      if (current.batches === loggedBatches) return;
      loggedBatches = current.batches;
      this.logger.log({ counters: current }, 'warehouse sink totals');
    }, TOTALS_LOG_INTERVAL_MS).unref();
  }

  onApplicationShutdown(signal?: string): void {
    clearInterval(this.totalsTimer);
    this.logger.log({ signal, counters: this.sink.handler.counters }, 'warehouse sink stopped');
  }
}
