/**
 * The latency benchmark (issue #10 item 3): live generators (event time = wall-clock time) at a
 * fixed rate through the built services on the running stack, in a topic namespace and warehouse
 * schema of the run's own; then, from what Kafka and PostgreSQL recorded:
 * - window latency: a window's close (the append time of the first input record of its partition
 *   whose event time moves the watermark past end + grace) → its row committed in PostgreSQL;
 * - alert latency: a reading's append time on the input topic → its alert row committed.
 * Rows are stamped at commit by a deferred trigger the bench adds to its own schema only.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { bringUpStack, stackSettings } from '@pipeline/stack';
import { createAvroCodec, createSchemaRegistry, readTopicToEnd, type AvroBinding, type Kafka } from '@pipeline/kafka';
import { ingestPositionsTopic } from '@pipeline/ingest';
import { clickstreamPipeline, iotPipeline, transitPipeline } from '@pipeline/pipelines';
import type { TopicNamespace } from '@pipeline/contracts';
import { contractsFor, type ContractsModule } from '../support/contracts-module';
import { isolatedRun, requiredEnv, runEnvironment } from '../support/run-environment';
import { PipelineServices } from '../support/pipeline-services';
import { testKafka } from '../support/kafka-io';
import { waitForServiceGroup } from '../support/consumer-group';
import { sleep } from '../support/wait';
import { distribution, firstAtOrAfter, formatDistribution, histogramMeans, msUntilSecondOfMinute, SLOW_ALERT_MS, slowAlertsLine, WatermarkTimeline, type Distribution } from './latency-math';

export interface LatencyOptions {
  /** Events per second over all three domains (a third each). */
  rate: number;
  seconds: number;
  /** Sensors / sessions / turnstiles per generator (GENERATOR_KEYS). */
  keys: number;
  /** Extra settings for every service (e.g. a latency-sensitive configuration), KEY=VALUE. */
  serviceEnv: Record<string, string>;
  /** Keep the run's schema and topics (default: dropped at the end). */
  keep: boolean;
  log: (line: string) => void;
}

export interface LatencyReport {
  eventsPerSecond: number;
  window: Distribution;
  alert: Distribution;
  lines: string[];
}

const DOMAINS = ['iot', 'clickstream', 'transit'] as const;
const LANDED_TABLE = 'latency_bench_landed';
const DRAIN_QUIET_MS = 5_000;
const DRAIN_LIMIT_MS = 180_000;
const START_SECOND_OF_MINUTE = 40;

type Contracts = ContractsModule;
type Pipelines = ReturnType<typeof resolvedPipelines>;

/** The three pipelines as the run's services resolve them, in its topic namespace. */
function resolvedPipelines(topics: TopicNamespace) {
  return { iotPipeline: iotPipeline.resolve(topics), clickstreamPipeline: clickstreamPipeline.resolve(topics), transitPipeline: transitPipeline.resolve(topics) };
}

/** One row as the bench's trigger stamped it: the table, the row (jsonb) and the commit moment. */
interface LandedRow {
  table: string;
  row: Record<string, unknown>;
  landedAt: number;
}

/** An input record as read back from its topic: partition, Kafka timestamp, key and value bytes (null for a heartbeat). */
interface InputRecord {
  partition: number;
  appendTime: number;
  key: string | undefined;
  value: Buffer | null;
  heartbeat: number | undefined;
}

export async function runLatencyBench(options: LatencyOptions): Promise<LatencyReport> {
  const { log } = options;
  const run = isolatedRun('latency');
  const stack = await bringUpStack(process.env);
  Object.assign(process.env, stack.endpoints);
  const repoRoot = stackSettings().repoRoot;
  for (const app of ['ingest-producer', 'stream-aggregator', 'warehouse-sink']) {
    if (!existsSync(join(repoRoot, 'dist', 'apps', app, 'main.js'))) throw new Error(`dist/apps/${app}/main.js is missing: build the services first (npx nx run-many -t build -p ingest-producer,stream-aggregator,warehouse-sink)`);
  }
  const contracts = contractsFor(run.namespace);
  const pipelines = resolvedPipelines(contracts.topics);

  const kafka = testKafka();
  const services = new PipelineServices({ ...runEnvironment(run, DOMAINS.join(',')), ...options.serviceEnv });
  const db = new Client({ connectionString: requiredEnv('DATABASE_URL') });
  await db.connect();
  const logs = () => (['stream-aggregator', 'warehouse-sink'] as const).map((name) => `${name} (last lines):\n${services.logTail(name, 12)}`).join('\n');
  try {
    log(`latency: run ${run.runId}: namespace ${run.namespace}, schema ${run.warehouseSchema}${Object.keys(options.serviceEnv).length > 0 ? `, service settings ${Object.entries(options.serviceEnv).map(([name, value]) => `${name}=${value}`).join(' ')}` : ', default settings'}`);
    await services.start('warehouse-sink');
    await waitForServiceGroup(kafka, `sink-${run.runId}`, contracts.sensorWindowStatsTopic.topic, contracts.sensorWindowStatsTopic.partitions, 1, 90_000, logs);
    // The sink has migrated the schema: stamp every row of its tables at commit.
    await installCommitStamps(db, run.warehouseSchema, [contracts.sensorWindowStatsTable.name, contracts.sensorAlertsTable.name, contracts.categoryWindowStatsTable.name, contracts.stationWindowStatsTable.name]);
    await services.start('stream-aggregator');
    for (const pipeline of [pipelines.iotPipeline, pipelines.clickstreamPipeline, pipelines.transitPipeline]) {
      await waitForServiceGroup(kafka, `aggregator-${run.runId}.${pipeline.name}`, pipeline.input.topic, pipeline.input.partitions, 1, 90_000, logs);
    }

    const perGenerator = options.rate / DOMAINS.length;
    // 1-minute windows close 15 s after each minute (10 s grace + 5 s out-of-orderness): starting at
    // :40 puts the first close of a window with data 35 s into the run, so a 60 s run sees it even
    // when a loaded machine makes the generators fall behind their schedule (event time behind the clock).
    const wait = msUntilSecondOfMinute(Date.now(), START_SECOND_OF_MINUTE);
    log(`latency: waiting ${(wait / 1000).toFixed(0)} s to start at :${START_SECOND_OF_MINUTE} of a minute`);
    await sleep(wait);
    log(`latency: services up; generators live at ${perGenerator.toFixed(0)} events/s each for ${options.seconds} s`);
    const loadAtStart = loadavg()[0] ?? 0;
    const ingestStart = Date.now();
    await services.start('ingest-producer', { INGEST_GENERATORS: DOMAINS.join(','), GENERATOR_RATE: String(perGenerator), GENERATOR_KEYS: String(options.keys) });
    await sleep(Math.max(0, ingestStart + options.seconds * 1000 - Date.now()));
    await services.stop('ingest-producer');
    log(`latency: generators stopped after ${((Date.now() - ingestStart) / 1000).toFixed(1)} s; waiting for the warehouse to settle`);
    const landedCount = await waitForQuiet(db, run.warehouseSchema);
    log(`latency: ${landedCount} row versions landed; reading the topics back`);

    // The services' own view of their transactions, for the breakdown (their clocks, their means).
    const serviceLines = await serviceTimings(services);
    const report = await measure(kafka, db, run.warehouseSchema, contracts, pipelines, log);
    // Other work on the machine shows in every figure: say how busy it was.
    const machine = `machine: ${cpus().length} cores, load average (1 min) ${loadAtStart.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end of the run`;
    const warnings =
      report.window.count === 0
        ? [`no window closed during the run: its input's event time must pass a minute + 15 s; ${Math.round(report.eventsPerSecond)} of ${options.rate} events/s were sent (generators behind schedule lag in event time too)`]
        : [];
    return { ...report, lines: [machine, ...report.lines, ...warnings, ...serviceLines] };
  } finally {
    await services.stopAll();
    if (!options.keep) await cleanUp(kafka, db, run.namespace, run.warehouseSchema).catch((error: unknown) => log(`latency: clean-up failed: ${error instanceof Error ? error.message : String(error)}`));
    await db.end();
  }
}

const SERVICE_HISTOGRAMS = [
  ['stream-aggregator', 'pipeline_stream_batch_duration_seconds', 'aggregator transaction (batch handed to the handler → committed)'],
  ['stream-aggregator', 'pipeline_window_close_to_commit_seconds', "aggregator window emitted → its transaction committed (aggregator's clock)"],
  ['warehouse-sink', 'pipeline_stream_batch_duration_seconds', 'sink batch (handed to the handler → offsets committed)'],
  ['warehouse-sink', 'pipeline_sink_upsert_duration_seconds', 'sink upsert (one database transaction)'],
] as const;

async function serviceTimings(services: PipelineServices): Promise<string[]> {
  const lines = ['services (means from their /metrics):'];
  for (const [service, metric, what] of SERVICE_HISTOGRAMS) {
    const text = await fetch(`http://127.0.0.1:${services.port(service)}/metrics`, { signal: AbortSignal.timeout(30_000) })
      .then((response) => response.text())
      .catch((error: unknown) => {
        lines.push(`  ${service} /metrics did not answer: ${error instanceof Error ? error.message : String(error)}`);
        return '';
      });
    for (const series of histogramMeans(text, metric)) lines.push(`  ${what} ${series.labels}: n=${series.count} mean=${Math.round(series.meanMs)} ms`);
  }
  return lines;
}

/**
 * A deferred constraint trigger fires during COMMIT, after the sink's whole batch: its
 * clock_timestamp() is the row's commit moment (minus the WAL flush). Bench schema only.
 */
async function installCommitStamps(db: Client, schema: string, tables: readonly string[]): Promise<void> {
  const s = `"${schema}"`;
  await db.query(`CREATE TABLE ${s}.${LANDED_TABLE} (table_name text NOT NULL, row_data jsonb NOT NULL, landed_at timestamptz NOT NULL)`);
  // SECURITY DEFINER: the sink writes as warehouse_writer, which has no rights on the bench's table.
  await db.query(`CREATE FUNCTION ${s}.latency_bench_stamp() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
    BEGIN
      INSERT INTO ${s}.${LANDED_TABLE} VALUES (TG_TABLE_NAME, to_jsonb(NEW), clock_timestamp());
      RETURN NULL;
    END $$`);
  for (const table of tables) {
    await db.query(`CREATE CONSTRAINT TRIGGER latency_bench_stamp AFTER INSERT OR UPDATE ON ${s}."${table}" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${s}.latency_bench_stamp()`);
  }
}

/** Waits until no row has landed for a few seconds (the open windows stay open: no input closes them). */
async function waitForQuiet(db: Client, schema: string): Promise<number> {
  const deadline = Date.now() + DRAIN_LIMIT_MS;
  let last = -1;
  let stableSince = Date.now();
  for (;;) {
    const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".${LANDED_TABLE}`);
    const count = Number(rows[0]?.n ?? 0);
    if (count !== last) {
      last = count;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= DRAIN_QUIET_MS) {
      return count;
    }
    if (Date.now() > deadline) return count;
    await sleep(500);
  }
}

async function readInput(kafka: Kafka, topic: string, heartbeatEventTime: Contracts['heartbeatEventTime']): Promise<InputRecord[]> {
  const records: InputRecord[] = [];
  await readTopicToEnd(kafka, topic, (record, partition) => {
    records.push({ partition, appendTime: Number(record.timestamp), key: record.key?.toString(), value: record.value, heartbeat: heartbeatEventTime(record.headers) });
  });
  return records;
}

interface InputTimeline {
  timeline: WatermarkTimeline;
  partitionOfKey: Map<string, number>;
  records: number;
  events: number;
  firstAppend: number;
  lastAppend: number;
}

/** An event topic read back: its partitions' watermark steps, each key's partition, its events' append times. */
async function readInputTimeline<T extends { timestamp: number }>(
  kafka: Kafka,
  registry: ReturnType<typeof createSchemaRegistry>,
  input: { topic: string; binding: AvroBinding<T> },
  heartbeatEventTime: Contracts['heartbeatEventTime'],
  onEvent?: (value: T, appendTime: number) => void,
): Promise<InputTimeline> {
  const records = await readInput(kafka, input.topic, heartbeatEventTime);
  if (records.length === 0) throw new Error(`nothing read back from ${input.topic}: see the ingest-producer's log`);
  const codec = await createAvroCodec(registry, input.binding);
  const result: InputTimeline = { timeline: new WatermarkTimeline(), partitionOfKey: new Map(), records: records.length, events: 0, firstAppend: Infinity, lastAppend: -Infinity };
  for (const record of records) {
    if (record.heartbeat !== undefined) {
      result.timeline.add(record.partition, record.heartbeat, record.appendTime);
      continue;
    }
    if (!record.value) continue;
    const value = await codec.decode(record.value);
    result.timeline.add(record.partition, value.timestamp, record.appendTime);
    if (record.key !== undefined) result.partitionOfKey.set(record.key, record.partition);
    onEvent?.(value, record.appendTime);
    result.events += 1;
    result.firstAppend = Math.min(result.firstAppend, record.appendTime);
    result.lastAppend = Math.max(result.lastAppend, record.appendTime);
  }
  return result;
}

/** Kafka timestamps of a topic's records by key (the record key is the output's natural key). */
async function appendTimesByKey(kafka: Kafka, topic: string): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  await readTopicToEnd(kafka, topic, (record) => {
    const key = record.key?.toString();
    // The first version: a replay after a restart would append the same key again.
    if (key !== undefined && !times.has(key)) times.set(key, Number(record.timestamp));
  });
  return times;
}

/** Per event topic, the Kafka timestamps of its ingest job's position records: each rides in the transaction it ends, just before its commit. */
async function ingestCommits(kafka: Kafka, positionsTopic: string): Promise<Map<string, number[]>> {
  const commits = new Map<string, number[]>();
  await readTopicToEnd(kafka, positionsTopic, (record) => {
    const topic = positionTopic(record.value);
    if (topic === undefined) return;
    const list = commits.get(topic) ?? [];
    list.push(Number(record.timestamp));
    commits.set(topic, list);
  });
  for (const list of commits.values()) list.sort((a, b) => a - b);
  return commits;
}

function positionTopic(value: Buffer | null): string | undefined {
  if (!value) return undefined;
  try {
    const parsed: unknown = JSON.parse(value.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || !('definition' in parsed)) return undefined;
    const definition: unknown = parsed.definition;
    return typeof definition === 'object' && definition !== null && 'topic' in definition && typeof definition.topic === 'string' ? definition.topic : undefined;
  } catch {
    return undefined;
  }
}

async function landedRows(db: Client, schema: string): Promise<LandedRow[]> {
  const { rows } = await db.query<{ table_name: string; row_data: Record<string, unknown>; landed_ms: string }>(
    `SELECT table_name, row_data, (extract(epoch FROM landed_at) * 1000)::float8 AS landed_ms FROM "${schema}".${LANDED_TABLE} ORDER BY landed_at`,
  );
  return rows.map((row) => ({ table: row.table_name, row: row.row_data, landedAt: Number(row.landed_ms) }));
}

interface WindowTable {
  table: string;
  keyColumn: string;
  pipeline: Pipelines['iotPipeline'] | Pipelines['clickstreamPipeline'] | Pipelines['transitPipeline'];
  outputTopic: string;
}

async function measure(kafka: Kafka, db: Client, schema: string, contracts: Contracts, pipelines: Pipelines, log: (line: string) => void): Promise<LatencyReport> {
  const windowTables: WindowTable[] = [
    { table: contracts.sensorWindowStatsTable.name, keyColumn: 'sensor_id', pipeline: pipelines.iotPipeline, outputTopic: contracts.sensorWindowStatsTopic.topic },
    { table: contracts.categoryWindowStatsTable.name, keyColumn: 'category', pipeline: pipelines.clickstreamPipeline, outputTopic: contracts.categoryWindowStatsTopic.topic },
    { table: contracts.stationWindowStatsTable.name, keyColumn: 'station', pipeline: pipelines.transitPipeline, outputTopic: contracts.stationWindowStatsTopic.topic },
  ];
  const registry = createSchemaRegistry(requiredEnv('SCHEMA_REGISTRY_URL'));
  const lines: string[] = [];
  const commits = await ingestCommits(kafka, contracts.topics.bind(ingestPositionsTopic).topic);

  // Input: per partition the watermark's steps, each key's partition, each reading's append time; and the rate.
  const timelines = new Map<string, WatermarkTimeline>();
  const partitionOfKey = new Map<string, Map<string, number>>();
  const readingAppend = new Map<string, number>();
  let events = 0;
  let firstAppend = Infinity;
  let lastAppend = -Infinity;
  for (const { pipeline } of windowTables) {
    const onReading = (value: { timestamp: number; sensorId?: string }, appendTime: number) => {
      if (value.sensorId !== undefined) readingAppend.set(`${value.sensorId}|${value.timestamp}`, appendTime);
    };
    const input = await readInputTimeline(kafka, registry, pipeline.input, contracts.heartbeatEventTime, pipeline === pipelines.iotPipeline ? onReading : undefined);
    timelines.set(pipeline.name, input.timeline);
    partitionOfKey.set(pipeline.name, input.partitionOfKey);
    events += input.events;
    firstAppend = Math.min(firstAppend, input.firstAppend);
    lastAppend = Math.max(lastAppend, input.lastAppend);
    log(`latency: read ${input.records} records of ${pipeline.input.topic}`);
  }
  const eventsPerSecond = lastAppend > firstAppend ? events / ((lastAppend - firstAppend) / 1000) : 0;

  const rows = await landedRows(db, schema);
  // The first commit of each row: a later version (a replay) is not what a reader waited for.
  const firstLanding = new Map<string, LandedRow>();
  for (const row of rows) {
    const key = `${row.table}|${JSON.stringify(row.row['alert_id'] ?? [row.row['sensor_id'] ?? row.row['category'] ?? row.row['station'], row.row['window_start'], row.row['window_minutes']])}`;
    if (!firstLanding.has(key)) firstLanding.set(key, row);
  }

  const window = { total: [] as number[], ingestCommit: [] as number[], aggregate: [] as number[], toRow: [] as number[] };
  let unclosed = 0;
  for (const spec of windowTables) {
    const timeline = timelines.get(spec.pipeline.name);
    const keys = partitionOfKey.get(spec.pipeline.name);
    const outputs = await appendTimesByKey(kafka, spec.outputTopic);
    const inputCommits = commits.get(spec.pipeline.input.topic) ?? [];
    for (const { table, row, landedAt } of firstLanding.values()) {
      if (table !== spec.table) continue;
      const domainKey = String(row[spec.keyColumn]);
      const windowStart = Date.parse(String(row['window_start']));
      const windowEnd = Date.parse(String(row['window_end']));
      const windowMinutes = Number(row['window_minutes']);
      const stage = spec.pipeline.windows.find((candidate) => candidate.window.kind !== 'session' && candidate.window.sizeMs === windowMinutes * 60_000);
      const partition = keys?.get(domainKey);
      const closedAt = stage && partition !== undefined ? timeline?.closeTime(partition, windowEnd, stage.closeDelayMs) : undefined;
      if (closedAt === undefined) {
        unclosed += 1;
        continue;
      }
      window.total.push(landedAt - closedAt);
      const visibleAt = firstAtOrAfter(inputCommits, closedAt);
      const producedAt = outputs.get(contracts.windowRecordKey(domainKey, { windowStart, windowMinutes }));
      if (visibleAt !== undefined) window.ingestCommit.push(visibleAt - closedAt);
      if (producedAt !== undefined) {
        window.aggregate.push(producedAt - (visibleAt ?? closedAt));
        window.toRow.push(landedAt - producedAt);
      }
    }
  }

  const alert = { total: [] as number[], ingestCommit: [] as number[], aggregate: [] as number[], toRow: [] as number[] };
  const alertOutputs = await appendTimesByKey(kafka, contracts.sensorAlertsTopic.topic);
  const readingCommits = commits.get(contracts.sensorReadingsTopic.topic) ?? [];
  let unmatchedAlerts = 0;
  /** When (ms into the run) each alert became visible that the aggregator took SLOW_ALERT_MS or more to produce. */
  const slowAlerts: number[] = [];
  for (const { table, row, landedAt } of firstLanding.values()) {
    if (table !== contracts.sensorAlertsTable.name) continue;
    const alertId = String(row['alert_id']);
    const readingKey = alertId.slice(0, alertId.lastIndexOf('|'));
    const appendedAt = readingAppend.get(readingKey);
    if (appendedAt === undefined) {
      unmatchedAlerts += 1;
      continue;
    }
    alert.total.push(landedAt - appendedAt);
    const visibleAt = firstAtOrAfter(readingCommits, appendedAt);
    const producedAt = alertOutputs.get(alertId);
    if (visibleAt !== undefined) alert.ingestCommit.push(visibleAt - appendedAt);
    if (producedAt !== undefined) {
      alert.aggregate.push(producedAt - (visibleAt ?? appendedAt));
      alert.toRow.push(landedAt - producedAt);
      if (producedAt - (visibleAt ?? appendedAt) >= SLOW_ALERT_MS) slowAlerts.push((visibleAt ?? appendedAt) - firstAppend);
    }
  }

  lines.push(`record timestamps of ${contracts.sensorReadingsTopic.topic}: ${await timestampType(kafka, contracts.sensorReadingsTopic.topic)}`);
  lines.push(`events: ${events} over ${((lastAppend - firstAppend) / 1000).toFixed(1)} s of appends = ${eventsPerSecond.toFixed(0)} events/s`);
  lines.push(formatDistribution('window latency (close → row committed)', window.total));
  lines.push(`  ${formatDistribution('close → closing record committed by the ingest job (visible to read_committed)', window.ingestCommit)}`);
  lines.push(`  ${formatDistribution('visible → aggregate produced (output record timestamp, inside the aggregator transaction)', window.aggregate)}`);
  lines.push(`  ${formatDistribution('aggregate produced → row committed (aggregator commit + sink fetch + landing)', window.toRow)}`);
  if (unclosed > 0) lines.push(`  ${unclosed} window rows without a close in the input (not counted)`);
  lines.push(formatDistribution('alert latency (reading appended → alert row committed)', alert.total));
  lines.push(`  ${formatDistribution('appended → reading committed by the ingest job', alert.ingestCommit)}`);
  lines.push(`  ${formatDistribution('visible → alert produced', alert.aggregate)}`);
  lines.push(`  ${formatDistribution('alert produced → row committed', alert.toRow)}`);
  if (slowAlerts.length > 0) lines.push(`  ${slowAlertsLine(slowAlerts)}`);
  if (unmatchedAlerts > 0) lines.push(`  ${unmatchedAlerts} alert rows without their reading in the input (not counted)`);
  return { eventsPerSecond, window: distribution(window.total), alert: distribution(alert.total), lines };
}

/** CreateTime (the producer's send time, the broker default) or LogAppendTime: what the record timestamps mean. */
async function timestampType(kafka: Kafka, topic: string): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    // 2 = ConfigResourceTypes.TOPIC (the kafkajs enum is not re-exported by @pipeline/kafka).
    const { resources } = await admin.describeConfigs({ resources: [{ type: 2, name: topic, configNames: ['message.timestamp.type'] }], includeSynonyms: false });
    return resources[0]?.configEntries.find((entry) => entry.configName === 'message.timestamp.type')?.configValue ?? 'unknown';
  } finally {
    await admin.disconnect();
  }
}

async function cleanUp(kafka: Kafka, db: Client, namespace: string, schema: string): Promise<void> {
  await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(namespace));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

export function summaryLine(report: LatencyReport): string {
  const ms = (value: number) => (Number.isNaN(value) ? 'NaN' : String(Math.round(value)));
  return `latency-bench events_per_s=${Math.round(report.eventsPerSecond)} window_p50_ms=${ms(report.window.p50)} window_p99_ms=${ms(report.window.p99)} alert_p99_ms=${ms(report.alert.p99)}`;
}
