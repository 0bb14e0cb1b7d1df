/**
 * Observability end to end (issue #11): the alert rules pass `promtool check rules` and their unit
 * tests; the three services, fed through the webhook on the real stack, show the metrics of the
 * README's reference with their Prometheus types; a Prometheus (Debian's package) scraping them
 * answers every query of the pipeline-health dashboard with a non-empty result; and every SQL query
 * of the warehouse-KPIs dashboard returns rows as bi_reader.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { LOCAL_WEBHOOK_API_KEY } from '@pipeline/config';
import { freePort, stackSettings } from '@pipeline/stack';
import { isolatedRun, requiredEnv, runEnvironment } from './support/run-environment';
import { contractsFor, type ContractsModule } from './support/contracts-module';
import { PipelineServices } from './support/pipeline-services';
import { publishEncoded, publishHeartbeats, testKafka } from './support/kafka-io';
import { sensorReadings } from './support/iot-workload';
import { tableCount } from './support/scenario';
import { waitFor } from './support/wait';

const run = promisify(execFile);
const repoRoot = stackSettings().repoRoot;
const prometheusDir = join(repoRoot, 'deploy', 'prometheus');
const dashboardsDir = join(repoRoot, 'deploy', 'grafana', 'dashboards');

interface DashboardTarget {
  refId: string;
  expr?: string;
  rawSql?: string;
}
interface Dashboard {
  panels: Array<{ title: string; targets: DashboardTarget[] }>;
}

function dashboardQueries(file: string): Array<{ panel: string; target: DashboardTarget }> {
  const dashboard = JSON.parse(readFileSync(join(dashboardsDir, file), 'utf8')) as Dashboard;
  return dashboard.panels.flatMap((panel) => panel.targets.map((target) => ({ panel: `${panel.title} (${target.refId})`, target })));
}

describe('alert rules', () => {
  it('pass promtool check rules', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', join(prometheusDir, 'rules.yml')]);
    expect(stdout).toContain('SUCCESS: 5 rules found');
  });

  it('pass their unit tests (promtool test rules), a stalled partition firing lag-growing and stalled', async () => {
    const { stdout } = await run('promtool', ['test', 'rules', 'rules.test.yml'], { cwd: prometheusDir });
    expect(stdout).toContain('SUCCESS');
  });
});

describe('Grafana provisioning', () => {
  it('dashboards use only the provisioned datasources: PromQL on Prometheus, SQL on the warehouse', () => {
    const provisioned = readFileSync(join(repoRoot, 'deploy', 'grafana', 'provisioning', 'datasources', 'datasources.yml'), 'utf8');
    expect([...provisioned.matchAll(/^\s+uid: (\S+)$/gm)].map((match) => match[1])).toEqual(['prometheus', 'warehouse']);
    for (const [file, uid, field] of [
      ['pipeline-health.json', 'prometheus', 'expr'],
      ['warehouse-kpis.json', 'warehouse', 'rawSql'],
    ] as const) {
      const dashboard = JSON.parse(readFileSync(join(dashboardsDir, file), 'utf8')) as { panels: Array<{ title: string; datasource: { uid: string }; targets: Array<DashboardTarget & { datasource: { uid: string } }> }> };
      for (const panel of dashboard.panels) {
        expect({ panel: panel.title, uid: panel.datasource.uid }).toEqual({ panel: panel.title, uid });
        for (const target of panel.targets) expect({ panel: panel.title, uid: target.datasource.uid, query: typeof target[field] }).toEqual({ panel: panel.title, uid, query: 'string' });
      }
    }
  });
});

const BASE = Date.UTC(2024, 4, 6, 8, 0, 0);
const MINUTE = 60_000;
const CATEGORIES = ['books', 'garden', 'toys', 'music'];
const CLICK_TYPES = ['page_view', 'add_to_cart', 'page_view', 'checkout', 'purchase'] as const;
const STATIONS = ['Central', 'Harbour', 'Museum'];

/** 4 categories × 50 clicks over 10 minutes, each session viewing, adding, checking out and buying. */
function clicks() {
  return Array.from({ length: 200 }, (_, i) => ({
    eventId: `obs-click-${i}`,
    sessionId: `obs-session-${Math.floor(i / 5)}`,
    customerId: `obs-customer-${Math.floor(i / 10)}`,
    eventType: CLICK_TYPES[i % CLICK_TYPES.length],
    productId: `obs-product-${i % 7}`,
    category: CATEGORIES[Math.floor(i / 5) % CATEGORIES.length],
    price: 5 + (i % 9) * 2.5,
    timestamp: BASE + i * 3000,
  }));
}

/** 3 stations × 2 turnstiles reporting every 5 minutes for an hour. */
function turnstileReports() {
  return Array.from({ length: 12 }, (_, slot) =>
    STATIONS.flatMap((station, s) =>
      [0, 1].map((t) => ({ station, turnstileId: `${station}-T${t}`, deviceId: `obs-dev-${s}-${t}`, entries: (slot * 7 + s * 3 + t) % 30, exits: (slot * 5 + s + t * 2) % 25, timestamp: BASE + slot * 5 * MINUTE + (s * 2 + t) * 1000 })),
    ),
  ).flat();
}

describe('metrics, Prometheus and the dashboards on the local stack', () => {
  const kafka = testKafka();
  const scratch = mkdtempSync(join(tmpdir(), 'pipeline-prometheus-'));
  let runInfo: ReturnType<typeof isolatedRun>;
  let services: PipelineServices;
  let contracts: ContractsModule;
  let prometheus: ChildProcess | undefined;

  beforeAll(async () => {
    runInfo = isolatedRun('observability');
    services = new PipelineServices(runEnvironment(runInfo, 'iot,clickstream,transit'));
    contracts = contractsFor(runInfo.namespace);
  });
  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    await services.stopAll();
    rmSync(scratch, { recursive: true, force: true });
  });

  async function post(domain: string, items: readonly unknown[]): Promise<number> {
    let status = 0;
    for (let start = 0; start < items.length; start += 100) {
      const response = await fetch(`http://127.0.0.1:${services.port('ingest-producer')}/ingest/${domain}`, {
        method: 'POST',
        // The ingest-producer outside production, with no keys configured, takes the local demo key.
        headers: { 'content-type': 'application/json', 'x-api-key': LOCAL_WEBHOOK_API_KEY.secret },
        body: JSON.stringify(items.slice(start, start + 100)),
      });
      status = Math.max(status, response.status);
    }
    return status;
  }

  async function promQuery(port: number, expr: string): Promise<unknown[]> {
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as { status: string; error?: string; data?: { result: unknown[] } };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error ?? response.status}`);
    return body.data?.result ?? [];
  }

  it('shows the metrics with their types, answers every dashboard query, and alerts on nothing healthy', async () => {
    await services.start('warehouse-sink');
    await services.start('stream-aggregator');
    await services.start('ingest-producer', { INGEST_GENERATORS: 'none', INGEST_HEARTBEAT_MS: '500' });

    // Everything through the webhook (ingest and HTTP metrics), one invalid item (an ingest dead letter),
    // bytes no schema reads on the IoT topic (the aggregator's dead letter), then heartbeats past every window.
    const readings = sensorReadings({ prefix: 'obs', sensors: 6, start: BASE, stepMs: 10_000, steps: 60 });
    expect(await post('iot', readings)).toBe(202);
    expect(await post('iot', [{ ...readings[0], batteryLevel: 1.7 }])).toBe(400);
    expect(await post('clickstream', clicks())).toBe(202);
    expect(await post('transit', turnstileReports())).toBe(202);
    await publishEncoded(kafka, contracts.sensorReadingsTopic.topic, [{ key: 'obs-garbage', value: Buffer.from('not an avro record') }]);
    for (const topic of [contracts.sensorReadingsTopic, contracts.clickEventsTopic, contracts.turnstileEventsTopic]) await publishHeartbeats(kafka, contracts, topic, BASE + 6 * 60 * MINUTE);

    const tables = ['iot_sensor_window_stats', 'iot_sensor_alerts', 'clickstream_category_window_stats', 'transit_station_window_stats'];
    for (const table of tables) {
      await waitFor(`rows in ${table}`, () => tableCount(runInfo.warehouseSchema, table), (count) => count > 0, { timeoutMs: 120_000, context: () => services.logTail('stream-aggregator') });
    }

    // /metrics of each service: item 1's metrics, with their types.
    const exposition = async (name: 'ingest-producer' | 'stream-aggregator' | 'warehouse-sink') => (await fetch(`http://127.0.0.1:${services.port(name)}/metrics`)).text();
    const types = (text: string) => new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => [match[1], match[2]]));
    const expectedTypes = {
      'ingest-producer': {
        pipeline_ingest_records_read_total: 'counter',
        pipeline_ingest_records_produced_total: 'counter',
        pipeline_ingest_dead_letters_total: 'counter',
        pipeline_ingest_send_duration_seconds: 'histogram',
        http_requests_total: 'counter',
        http_request_duration_seconds: 'histogram',
      },
      'stream-aggregator': {
        pipeline_stream_records_total: 'counter',
        pipeline_stream_dead_letters_total: 'counter',
        pipeline_stream_batch_duration_seconds: 'histogram',
        pipeline_stream_consumer_lag: 'gauge',
        pipeline_aggregator_outputs_total: 'counter',
        pipeline_aggregator_late_events_total: 'counter',
        pipeline_window_close_to_commit_seconds: 'histogram',
        pipeline_watermark_timestamp_seconds: 'gauge',
        pipeline_watermark_delay_seconds: 'gauge',
        http_requests_total: 'counter',
      },
      'warehouse-sink': {
        pipeline_stream_records_total: 'counter',
        pipeline_stream_consumer_lag: 'gauge',
        pipeline_sink_rows_upserted_total: 'counter',
        pipeline_sink_upsert_duration_seconds: 'histogram',
        http_requests_total: 'counter',
      },
    } as const;
    for (const [service, expected] of Object.entries(expectedTypes) as Array<[keyof typeof expectedTypes, Record<string, string>]>) {
      const text = await exposition(service);
      const found = types(text);
      expect({ service, types: Object.fromEntries(Object.keys(expected).map((name) => [name, found.get(name)])) }).toEqual({ service, types: expected });
      // `_total` only on counters (ours; prom-client's nodejs_active_*_total gauges keep the names it gives them).
      expect({ service, gaugesNamedTotal: [...found].filter(([name, type]) => /^(pipeline|http)_/.test(name) && name.endsWith('_total') && type !== 'counter').map(([name]) => name) }).toEqual({ service, gaugesNamedTotal: [] });
      expect(text).toContain(`service="${service}"`);
    }

    // A Prometheus of its own, scraping the three services every second.
    const port = await freePort();
    const config = join(scratch, 'prometheus.yml');
    const job = (name: 'ingest-producer' | 'stream-aggregator' | 'warehouse-sink') => `  - job_name: ${name}\n    static_configs: [{ targets: ['127.0.0.1:${services.port(name)}'] }]\n`;
    writeFileSync(config, `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: ['${join(prometheusDir, 'rules.yml')}']\nscrape_configs:\n${job('ingest-producer')}${job('stream-aggregator')}${job('warehouse-sink')}`);
    const log = openSync(join(scratch, 'prometheus.log'), 'a');
    prometheus = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(scratch, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', log, log] });
    const prometheusLog = () => readFileSync(join(scratch, 'prometheus.log'), 'utf8').split('\n').slice(-8).join('\n');
    await waitFor('prometheus ready', async () => (await fetch(`http://127.0.0.1:${port}/-/ready`)).status, (status) => status === 200, { timeoutMs: 60_000, context: prometheusLog });
    await waitFor('the three targets up', () => promQuery(port, 'sum(up)'), (result) => JSON.stringify(result).includes('"3"'), { timeoutMs: 60_000, context: prometheusLog });

    // Every PromQL query of the health dashboard, with Grafana's rate interval, has a result.
    const health = dashboardQueries('pipeline-health.json');
    expect(health.length).toBeGreaterThanOrEqual(15);
    for (const { panel, target } of health) {
      const expr = (target.expr ?? '').replace(/\$__rate_interval/g, '30s');
      await waitFor(`a result for "${panel}": ${expr}`, () => promQuery(port, expr), (result) => result.length > 0, { timeoutMs: 60_000, intervalMs: 1000 });
    }
    // Nothing is wrong with this run: no alert fires (pending or firing) but the dead-letter rule may be pending.
    const alerts = (await promQuery(port, 'ALERTS{alertstate="firing"}')) as Array<{ metric: Record<string, string> }>;
    expect(alerts.map((alert) => alert.metric['alertname'])).toEqual([]);

    // Every SQL query of the KPI dashboard returns rows, run as the BI login on this run's schema.
    const url = new URL(requiredEnv('DATABASE_URL'));
    url.username = 'bi_reader';
    url.password = process.env['WAREHOUSE_BI_READER_PASSWORD'] ?? 'bi_reader_local';
    const reader = new Client({ connectionString: url.toString() });
    await reader.connect();
    try {
      await reader.query(`SET search_path TO "${runInfo.warehouseSchema}"`);
      const kpis = dashboardQueries('warehouse-kpis.json');
      expect(kpis.length).toBeGreaterThanOrEqual(7);
      for (const { panel, target } of kpis) {
        // Grafana's time filter macro, over all time.
        const sql = (target.rawSql ?? '').replace(/\$__timeFilter\(([^)]+)\)/g, '$1 IS NOT NULL');
        const { rows } = await reader.query(sql);
        expect({ panel, rows: rows.length > 0 }).toEqual({ panel, rows: true });
      }
    } finally {
      await reader.end();
    }
  });
});
