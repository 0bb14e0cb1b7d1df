import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { exposeCounters, SERVICE_CONFIG } from '@pipeline/service-kit';
import { launchWarehouseSink, type LaunchedWarehouseSink, type WarehouseSinkListener } from '@pipeline/warehouse';
import { sinkSettingsFrom, type WarehouseSinkConfig } from './service';

const TOTALS_LOG_INTERVAL_MS = 60_000;

/** On /metrics: warehouse_sink_{batches,records,dead_lettered,empty_records}_total{group} and warehouse_sink_rows_upserted_total{table}. */
function exposeMetrics(sink: LaunchedWarehouseSink, groupId: string): void {
  exposeCounters('warehouse_sink', 'group', () => {
    const { batches, records, deadLettered, emptyRecords } = sink.counters();
    return [{ label: groupId, counters: { batches, records, deadLettered, emptyRecords } }];
  });
  exposeCounters('warehouse_sink', 'table', () =>
    Object.entries(sink.counters().rowsUpserted).map(([table, rowsUpserted]) => ({ label: table, counters: { rowsUpserted } })),
  );
}

/** Migrates the warehouse and starts consuming when the app boots; stops cleanly on SIGTERM. */
@Injectable()
export class WarehouseSinkLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WarehouseSinkLifecycle.name);
  private sink: LaunchedWarehouseSink | undefined;
  private totalsTimer: NodeJS.Timeout | undefined;

  constructor(@Inject(SERVICE_CONFIG) private readonly config: WarehouseSinkConfig) {}

  async onApplicationBootstrap(): Promise<void> {
    const settings = sinkSettingsFrom(this.config);
    const sink = await launchWarehouseSink(settings, { listener: this.listener() });
    this.sink = sink;
    exposeMetrics(sink, settings.groupId);
    this.logger.log({ schema: settings.schema, groupId: settings.groupId, appliedMigrations: this.sink.appliedMigrations }, 'warehouse sink consuming');
    // Progress at the default log level: the totals once a minute, when something landed.
    let loggedBatches = 0;
    this.totalsTimer = setInterval(() => {
      const counters = this.sink?.counters();
      if (!counters || counters.batches === loggedBatches) return;
      loggedBatches = counters.batches;
      this.logger.log({ counters }, 'warehouse sink totals');
    }, TOTALS_LOG_INTERVAL_MS).unref();
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    clearInterval(this.totalsTimer);
    if (!this.sink) return;
    await this.sink.stop();
    this.logger.log({ signal, counters: this.sink.counters() }, 'warehouse sink stopped');
  }

  private listener(): WarehouseSinkListener {
    return {
      batchCommitted: (batch) => this.logger.debug(batch, 'batch landed'),
      recordDeadLettered: (record) => this.logger.warn(record, 'record dead-lettered'),
      consumerCrashed: (error, willRestart) => {
        this.logger.error({ err: error, willRestart }, 'kafka consumer crashed');
        // A consumer that will not restart lands nothing more: shut down so the supervisor restarts the service.
        if (!willRestart) {
          process.exitCode = 1;
          process.kill(process.pid, 'SIGTERM');
        }
      },
    };
  }
}
