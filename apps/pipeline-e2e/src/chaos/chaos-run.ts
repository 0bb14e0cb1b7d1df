/**
 * The chaos suite (issue #8): the three domains flow at once through the built services on a local
 * stack of the suite's own (its own folder and ports: it restarts Kafka and PostgreSQL, which must
 * never happen to the shared stack), while seeded faults hit every part at random moments. Once
 * the pipeline has drained it checks the warehouse and the aggregate topics against an independent
 * reference, and the count identities per domain.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { bringDownStack, bringUpStack, findRepoRoot, restartLocalComponent, stackSettings, type HealthReport, type ServiceName, type StackEndpoints } from '@pipeline/stack';
import type { Kafka } from '@pipeline/kafka';
import { isolatedRun, runEnvironment } from '../support/run-environment';
import { PipelineServices } from '../support/pipeline-services';
import { testKafka } from '../support/kafka-io';
import { waitForServiceGroup } from '../support/consumer-group';
import { expectedAlerts, expectedWindows, warehouseAlerts, warehouseWindows } from '../support/iot-workload';
import { expectedClickStats, warehouseClickStats } from '../support/clickstream-reference';
import { expectedStationStats, warehouseTotals } from '../support/transit-reference';
import { tableCount } from '../support/scenario';
import { sleep } from '../support/wait';
import { contractsFor, type ContractsModule } from '../support/contracts-module';
import { CHAOS_DOMAINS, seededRandom, writeChaosInputs, type ChaosDomain, type ChaosInputs } from './chaos-inputs';
import { IngestJob } from './ingest-jobs';
import { checkOneRecordPerKey, countRecords, diffRows, type KeyCheck, type RowDiff } from './verify';

export interface ChaosOptions {
  events: number;
  faults: number;
  seed: number;
  /** Leave the suite's stack running at the end (the next run then starts in seconds). */
  keepStack: boolean;
  /** Fault kinds to draw from (default: all of FAULT_KINDS), to narrow a failure down. */
  kinds?: readonly (typeof FAULT_KINDS)[number][];
  log: (line: string) => void;
}

/** The suite's own stack: a port block of its own and a folder under .stack, sharing the main stack's jars. */
export function chaosStackEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const repoRoot = findRepoRoot();
  return {
    STACK_MODE: 'local',
    STACK_DIR: env['CHAOS_STACK_DIR'] || join(repoRoot, '.stack', 'chaos'),
    STACK_DIST_DIR: env['STACK_DIST_DIR'] || join(repoRoot, '.stack', 'dist'),
    STACK_KAFKA_PORT: env['CHAOS_KAFKA_PORT'] || '29092',
    STACK_KAFKA_CONTROLLER_PORT: env['CHAOS_KAFKA_CONTROLLER_PORT'] || '29093',
    STACK_KAFKA_SASL_SSL_PORT: env['CHAOS_KAFKA_SASL_SSL_PORT'] || '29094',
    STACK_REGISTRY_PORT: env['CHAOS_REGISTRY_PORT'] || '28081',
    STACK_POSTGRES_PORT: env['CHAOS_POSTGRES_PORT'] || '25432',
  };
}

export const FAULT_KINDS = ['kill-ingest', 'kill-aggregator-a', 'kill-aggregator-b', 'kill-sink', 'pause-aggregator', 'restart-kafka', 'restart-postgres'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number] | 'exited-on-its-own';

export interface FaultRecord {
  number: number;
  /** Seconds since the services started. */
  atS: number;
  kind: FaultKind;
  target: string;
  /** From the fault to every service healthy again (undefined: not within the limit). */
  recoveryS: number | undefined;
}

export interface DomainResult {
  domain: ChaosDomain;
  tables: { name: string; diff: RowDiff }[];
  topics: KeyCheck[];
  ingest: { read: number; produced: number; deadLettered: number; expectedRows: number; expectedBroken: number; runs: number; endings: string[] };
  aggregator: { consumed: number; aggregated: number; late: number; deadLettered: number; expectedLate: number };
  ok: boolean;
}

export interface ChaosReport {
  faults: FaultRecord[];
  domains: DomainResult[];
  passed: boolean;
  elapsedS: number;
  problems: string[];
}

/** Pause past the aggregator's 10 s session timeout, so the group evicts the frozen replica. */
const PAUSE_MS = 16_000;
const RECOVERY_LIMIT_MS = 240_000;
const REPLICAS = ['a', 'b'] as const;
const INPUT_TOPIC = { iot: 'sensorReadingsTopic', clickstream: 'clickEventsTopic', transit: 'turnstileEventsTopic' } as const;

/** The faults of a run: a seeded shuffle of every kind first (so a run of 7 or more has each), then seeded draws. */
export function drawFaults(count: number, seed: number, allowed: readonly (typeof FAULT_KINDS)[number][] = FAULT_KINDS): { kind: (typeof FAULT_KINDS)[number]; delayMs: number; pick: number }[] {
  const random = seededRandom(seed * 7919 + 17);
  const kinds = [...allowed];
  for (let i = kinds.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j] as (typeof kinds)[number], kinds[i] as (typeof kinds)[number]];
  }
  return Array.from({ length: count }, (_, index) => ({
    kind: index < kinds.length ? (kinds[index] as (typeof kinds)[number]) : (allowed[Math.floor(random() * allowed.length)] as (typeof kinds)[number]),
    delayMs: 3000 + Math.floor(random() * 9000),
    pick: random(),
  }));
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const { log } = options;
  const startedAt = Date.now();
  // Everything below (stack settings, services, Kafka clients) reads the suite's own stack from the environment.
  for (const name of ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'DATABASE_URL']) delete process.env[name];
  Object.assign(process.env, chaosStackEnv());
  const settings = stackSettings();
  const repoRoot = settings.repoRoot;
  for (const app of ['ingest-producer', 'stream-aggregator', 'warehouse-sink']) {
    if (!existsSync(join(repoRoot, 'dist', 'apps', app, 'main.js'))) throw new Error(`dist/apps/${app}/main.js is missing: build the services first (npx nx run-many -t build -p ingest-producer,stream-aggregator,warehouse-sink; npm run chaos does it)`);
  }
  log(`chaos: bringing up the suite's own stack in ${settings.stackDir} (Kafka ${settings.kafkaPort}, registry ${settings.registryPort}, PostgreSQL ${settings.postgresPort})`);
  const run = isolatedRun('chaos');
  const stack = await bringUpStack(process.env);
  try {
    return await runOnStack(options, run, stack.endpoints, startedAt);
  } finally {
    // Whatever failed, the suite's stack goes: a later run (CI's next job) needs its ports.
    if (!options.keepStack) {
      const stopped = await bringDownStack(process.env);
      log(`chaos: stopped the suite's stack (${stopped.join(', ')})`);
    }
  }
}

async function runOnStack(options: ChaosOptions, run: ReturnType<typeof isolatedRun>, endpoints: StackEndpoints, startedAt: number): Promise<ChaosReport> {
  const { log } = options;
  const settings = stackSettings();
  const repoRoot = settings.repoRoot;
  Object.assign(process.env, endpoints);
  const contracts = contractsFor(run.namespace);
  const inputDir = join(settings.stackDir, 'inputs', run.runId);
  mkdirSync(inputDir, { recursive: true });
  const inputs = await writeChaosInputs(inputDir, options.events, options.seed);
  log(`chaos: run ${run.runId}, seed ${options.seed}: ${CHAOS_DOMAINS.map((d) => `${d} ${inputs.files[d].rows} rows (${inputs.files[d].late} late, ${inputs.files[d].broken} broken)`).join(', ')}`);

  const kafka = testKafka();
  const services = new PipelineServices(runEnvironment(run, CHAOS_DOMAINS.join(',')));
  const faults: FaultRecord[] = [];
  const problems: string[] = [];
  const jobs: IngestJob[] = [];
  const logs = () => (['stream-aggregator', 'warehouse-sink'] as ServiceName[]).map((name) => `${name} (last lines):\n${services.logTail(name, 12)}`).join('\n');
  try {
    await services.start('warehouse-sink');
    await waitForServiceGroup(kafka, `sink-${run.runId}`, contracts.sensorWindowStatsTopic.topic, contracts.sensorWindowStatsTopic.partitions, 1, 90_000, logs);
    for (const [index, replica] of REPLICAS.entries()) {
      await services.startReplica('stream-aggregator', replica);
      for (const domain of CHAOS_DOMAINS) {
        const topic = contracts[INPUT_TOPIC[domain]];
        await waitForServiceGroup(kafka, `aggregator-${run.runId}.${domain}`, topic.topic, topic.partitions, index + 1, 90_000, logs);
      }
    }
    const servicesUpAt = Date.now();
    log(`chaos: services up in ${((servicesUpAt - startedAt) / 1000).toFixed(0)} s`);

    // Paced so the ingestion lasts about 15 s per fault (at least 30 s): faults hit it while it runs.
    const ingestSeconds = Math.max(30, options.faults * 15);
    const ingestEnv = { ...process.env, LOG_LEVEL: 'warn', PIPELINE_TOPIC_NAMESPACE: run.namespace };
    for (const domain of CHAOS_DOMAINS) {
      const input = inputs.files[domain];
      jobs.push(new IngestJob(input, { repoRoot, logDir: join(settings.stackDir, 'logs'), jobId: `chaos-${run.runId}-${domain}`, ratePerSecond: Math.max(1, Math.ceil(input.rows / ingestSeconds)), env: ingestEnv }));
    }
    const ingestion = Promise.all(jobs.map((job) => job.runToEnd()));
    ingestion.catch(() => undefined);

    /** What the services that are not working again said last (for a fault they did not recover from). */
    let lastUnhealthy = '';
    const names = ['warehouse-sink', ...REPLICAS.map((replica) => `stream-aggregator ${replica}`)];
    const allHealthy = async () => {
      const reports = await Promise.all([services.health('warehouse-sink'), ...REPLICAS.map((replica) => services.health('stream-aggregator', replica))]);
      lastUnhealthy = reports.flatMap((report, index) => (workingAgain(report) ? [] : [`${names[index]}: ${report.status} ${JSON.stringify(report.dependencies)}`])).join('\n');
      return reports.every(workingAgain);
    };
    const waitRecovered = async (since: number): Promise<number | undefined> => {
      while (Date.now() - since < RECOVERY_LIMIT_MS) {
        await restartExited();
        if (await allHealthy().catch(() => false)) return (Date.now() - since) / 1000;
        await sleep(500);
      }
      return undefined;
    };
    const record = (kind: FaultKind, target: string, at: number, recoveryS: number | undefined) => {
      const entry = { number: faults.length + 1, atS: (at - servicesUpAt) / 1000, kind, target, recoveryS };
      faults.push(entry);
      log(`chaos: fault ${entry.number} ${kind} ${target} at ${entry.atS.toFixed(1)} s, recovered ${recoveryS === undefined ? 'NOT within the limit' : `in ${recoveryS.toFixed(1)} s`}`);
      // A service still unhealthy minutes after a fault is a stall, even if a later fault's restart hides it.
      if (recoveryS === undefined) problems.push(`fault ${entry.number} (${kind}, ${target}): not every service healthy again within ${RECOVERY_LIMIT_MS / 1000} s:\n${lastUnhealthy}\n${logs()}`);
    };
    /** A service that exited without being killed is a finding: recorded, then started again. */
    const restartExited = async () => {
      const instances: [ServiceName, string | undefined][] = [['warehouse-sink', undefined], ...REPLICAS.map((replica): [ServiceName, string] => ['stream-aggregator', replica])];
      for (const [name, replica] of instances) {
        if (!services.isRunning(name, replica) || !services.exited(name, replica)) continue;
        const code = services.exitCode(name, replica);
        problems.push(`${name}${replica ? ` ${replica}` : ''} exited on its own (code ${code}); last lines:\n${services.logTail(name, 12)}`);
        record('exited-on-its-own', `${name}${replica ? ` ${replica}` : ''} (code ${code})`, Date.now(), 0);
        await services.stop(name, 'SIGKILL', replica);
        if (replica === undefined) await services.startWaiting(name);
        else await services.startReplica(name, replica, {}, false);
      }
    };

    for (const fault of drawFaults(options.faults, options.seed, options.kinds)) {
      await sleep(fault.delayMs);
      await restartExited();
      const at = Date.now();
      let target = '';
      switch (fault.kind) {
        case 'kill-ingest': {
          const running = jobs.filter((job) => job.running);
          const job = (running.length > 0 ? running : jobs)[Math.floor(fault.pick * (running.length > 0 ? running.length : jobs.length))] as IngestJob;
          target = `ingest ${job.input.domain}${job.kill() ? '' : ' (finished: nothing to kill)'}`;
          break;
        }
        case 'kill-aggregator-a':
        case 'kill-aggregator-b': {
          const replica = fault.kind === 'kill-aggregator-a' ? 'a' : 'b';
          target = `stream-aggregator ${replica}`;
          await services.kill('stream-aggregator', replica);
          await services.startReplica('stream-aggregator', replica, {}, false);
          break;
        }
        case 'kill-sink':
          target = 'warehouse-sink';
          await services.kill('warehouse-sink');
          await services.startWaiting('warehouse-sink');
          break;
        case 'pause-aggregator': {
          const replica = fault.pick < 0.5 ? 'a' : 'b';
          target = `stream-aggregator ${replica}, SIGSTOP ${PAUSE_MS / 1000} s`;
          services.pause('stream-aggregator', replica);
          await sleep(PAUSE_MS);
          services.resume('stream-aggregator', replica);
          break;
        }
        case 'restart-kafka': {
          const restart = await restartLocalComponent(settings, 'kafka', 'kill');
          target = `broker (kill -9, back in ${(restart.downMs / 1000).toFixed(1)} s)`;
          break;
        }
        case 'restart-postgres': {
          const restart = await restartLocalComponent(settings, 'postgres', 'stop');
          target = `PostgreSQL (fast shutdown, back in ${(restart.downMs / 1000).toFixed(1)} s)`;
          break;
        }
      }
      record(fault.kind, target, at, await waitRecovered(at));
    }

    await ingestion;
    log(`chaos: ingestion finished (${jobs.map((job) => `${job.input.domain}: ${job.runs} run(s)`).join(', ')}); waiting for the pipeline to drain`);
    const expected = referenceOf(inputs);
    const expectedCounts = {
      iot_sensor_window_stats: expected.iotWindows.length,
      iot_sensor_alerts: expected.alerts.length,
      clickstream_category_window_stats: expected.clicks.length,
      transit_station_window_stats: expected.transit.length,
    };
    const drainLimitMs = 600_000 + options.events * 2;
    const drainStart = Date.now();
    let stableSince: number | undefined;
    let lastCounts: Record<string, number> = {};
    while (Date.now() - drainStart < drainLimitMs) {
      await restartExited();
      const counts = Object.fromEntries(await Promise.all(Object.keys(expectedCounts).map(async (table) => [table, await tableCount(run.warehouseSchema, table).catch(() => -1)] as const)));
      const reached = Object.entries(expectedCounts).every(([table, count]) => counts[table] === count);
      const unchanged = isSameCounts(counts, lastCounts);
      lastCounts = counts;
      stableSince = reached && unchanged ? (stableSince ?? Date.now()) : undefined;
      if (stableSince !== undefined && Date.now() - stableSince >= 5000) break;
      await sleep(2000);
    }
    if (stableSince === undefined) problems.push(`the pipeline did not drain within ${drainLimitMs / 1000} s: warehouse rows ${JSON.stringify(lastCounts)}, expected ${JSON.stringify(expectedCounts)}\n${logs()}`);
    log(`chaos: drained in ${((Date.now() - drainStart) / 1000).toFixed(0)} s; verifying`);

    const domains = await verifyDomains(kafka, contracts, run.warehouseSchema, inputs, expected, jobs);
    const passed = problems.length === 0 && domains.every((domain) => domain.ok);
    if (!passed && !domains.every((domain) => domain.ok)) problems.push(logs());
    return { faults, domains, passed, elapsedS: (Date.now() - startedAt) / 1000, problems };
  } finally {
    for (const job of jobs) job.stop();
    await services.stopAll();
  }
}

/** Every service answers /health 200, or reports its dependencies up (a stalled partition is not recovered). */
function workingAgain(report: HealthReport): boolean {
  if (report.status === 'ok') return true;
  if (report.status === 'unreachable') return false;
  return Object.values(report.dependencies).every((detail) => detail === 'up');
}

function isSameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  return Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([key, value]) => b[key] === value);
}

function referenceOf(inputs: ChaosInputs) {
  return {
    iotWindows: expectedWindows(inputs.readings),
    alerts: expectedAlerts(inputs.readings),
    clicks: expectedClickStats(inputs.clicks),
    transit: expectedStationStats(inputs.reports),
  };
}

type Contracts = ContractsModule;

/** The output key of a window record, as the contracts define it (domain key | window start | size). */
const windowKey = (key: string, windowStart: string, minutes: number) => `${key}|${windowStart}|${minutes}m`;

async function verifyDomains(kafka: Kafka, contracts: Contracts, schema: string, inputs: ChaosInputs, expected: ReturnType<typeof referenceOf>, jobs: readonly IngestJob[]): Promise<DomainResult[]> {
  const { HEADERS } = contracts;
  const results: DomainResult[] = [];
  for (const domain of CHAOS_DOMAINS) {
    const job = jobs.find((candidate) => candidate.input.domain === domain) as IngestJob;
    const inputTopic = contracts[INPUT_TOPIC[domain]].topic;
    const tables: DomainResult['tables'] = [];
    const topics: KeyCheck[] = [];
    let aggregated = 0;
    if (domain === 'iot') {
      const windows = await warehouseWindows(schema);
      tables.push({ name: 'iot_sensor_window_stats', diff: diffRows(expected.iotWindows, windows, (row) => windowKey(row.sensorId, row.windowStart, row.windowMinutes)) });
      tables.push({ name: 'iot_sensor_alerts', diff: diffRows(expected.alerts, await warehouseAlerts(schema), (row) => row.alertId) });
      topics.push(await checkOneRecordPerKey(kafka, contracts.sensorWindowStatsTopic.topic, new Set(expected.iotWindows.map((row) => windowKey(row.sensorId, row.windowStart, row.windowMinutes)))));
      topics.push(await checkOneRecordPerKey(kafka, contracts.sensorAlertsTopic.topic, new Set(expected.alerts.map((row) => row.alertId))));
      aggregated = windows.filter((row) => row.windowMinutes === 1).reduce((sum, row) => sum + row.readingCount, 0);
    } else if (domain === 'clickstream') {
      const stats = await warehouseClickStats(schema);
      tables.push({ name: 'clickstream_category_window_stats', diff: diffRows(expected.clicks, stats, (row) => windowKey(String(row.category), row.windowStart, 1)) });
      topics.push(await checkOneRecordPerKey(kafka, contracts.categoryWindowStatsTopic.topic, new Set(expected.clicks.map((row) => windowKey(row.category, row.windowStart, 1)))));
      aggregated = stats.reduce((sum, row) => sum + row.eventCount, 0);
    } else {
      const totals = await warehouseTotals(schema);
      tables.push({ name: 'transit_station_window_stats', diff: diffRows(expected.transit, totals, (row) => windowKey(String(row.station), row.windowStart, Number(row.windowMinutes))) });
      topics.push(await checkOneRecordPerKey(kafka, contracts.stationWindowStatsTopic.topic, new Set(expected.transit.map((row) => windowKey(row.station, row.windowStart, row.windowMinutes)))));
      aggregated = totals.filter((row) => Number(row.windowMinutes) === 15).reduce((sum, row) => sum + row.reportCount, 0);
    }
    // consumed = aggregated + late + dead-lettered, all from committed records (see verify.ts countRecords).
    const consumed = await countRecords(kafka, inputTopic, (headerOf, hasValue) => hasValue && headerOf(HEADERS.watermarkHeartbeat) === undefined);
    const late = await countRecords(kafka, contracts.lateEventsTopic.topic, (headerOf) => headerOf(HEADERS.pipeline) === domain);
    const deadLettered = await countRecords(kafka, contracts.deadLetterTopic.topic, (headerOf) => headerOf(HEADERS.sourceTopic) === inputTopic);
    const totals = job.totals ?? { read: -1, produced: -1, deadLettered: -1 };
    const input = inputs.files[domain];
    const ingest = { ...totals, expectedRows: input.rows, expectedBroken: input.broken, runs: job.runs, endings: job.endings };
    const aggregator = { consumed, aggregated, late, deadLettered, expectedLate: input.late };
    const ok =
      tables.every((table) => table.diff.exact) &&
      topics.every((topic) => topic.onePerKey) &&
      totals.read === totals.produced + totals.deadLettered &&
      totals.read === input.rows &&
      totals.deadLettered === input.broken &&
      consumed === totals.produced &&
      consumed === aggregated + late + deadLettered &&
      late === input.late;
    results.push({ domain, tables, topics, ingest, aggregator, ok });
  }
  return results;
}

/** The report as text: the faults table, then the result per domain, then what went wrong. */
export function formatReport(report: ChaosReport, options: Pick<ChaosOptions, 'events' | 'faults' | 'seed'>): string {
  const lines: string[] = [];
  lines.push(`chaos: ${options.events} events, ${options.faults} faults, seed ${options.seed}: ${report.passed ? 'PASSED' : 'FAILED'} in ${report.elapsedS.toFixed(0)} s`, '');
  lines.push('| # | at (s) | fault | target | recovery (s) |', '| --- | --- | --- | --- | --- |');
  for (const fault of report.faults) lines.push(`| ${fault.number} | ${fault.atS.toFixed(1)} | ${fault.kind} | ${fault.target} | ${fault.recoveryS === undefined ? 'not recovered' : fault.recoveryS.toFixed(1)} |`);
  lines.push('', '| domain | table / topic | expected | actual | result |', '| --- | --- | --- | --- | --- |');
  for (const domain of report.domains) {
    for (const table of domain.tables) lines.push(`| ${domain.domain} | ${table.name} (rows) | ${table.diff.expected} | ${table.diff.actual} | ${table.diff.exact ? 'exact' : 'MISMATCH'} |`);
    for (const topic of domain.topics) lines.push(`| ${domain.domain} | ${topic.topic} (committed records, one per key) | ${topic.expectedKeys} | ${topic.records} | ${topic.onePerKey ? 'one per key' : 'MISMATCH'} |`);
  }
  lines.push('', '| domain | ingest runs | read = produced + dead-lettered | consumed = aggregated + late + dead-lettered | late (expected) | result |', '| --- | --- | --- | --- | --- | --- |');
  for (const domain of report.domains) {
    const { ingest, aggregator } = domain;
    lines.push(
      `| ${domain.domain} | ${ingest.runs} | ${ingest.read} = ${ingest.produced} + ${ingest.deadLettered} (rows ${ingest.expectedRows}, broken ${ingest.expectedBroken}) | ${aggregator.consumed} = ${aggregator.aggregated} + ${aggregator.late} + ${aggregator.deadLettered} | ${aggregator.late} (${aggregator.expectedLate}) | ${domain.ok ? 'ok' : 'FAILED'} |`,
    );
  }
  for (const domain of report.domains.filter((candidate) => !candidate.ok)) {
    lines.push('', `${domain.domain}: what differs`);
    for (const table of domain.tables.filter((candidate) => !candidate.diff.exact)) {
      lines.push(`  ${table.name}: missing ${JSON.stringify(table.diff.missing)}; unexpected ${JSON.stringify(table.diff.unexpected)}; different ${JSON.stringify(table.diff.different)}`);
    }
    for (const topic of domain.topics.filter((candidate) => !candidate.onePerKey)) {
      lines.push(`  ${topic.topic}: duplicated ${JSON.stringify(topic.duplicated)}; missing ${JSON.stringify(topic.missing)}; unexpected ${JSON.stringify(topic.unexpected)}`);
    }
    lines.push(`  ingest runs ended: ${JSON.stringify(domain.ingest.endings)}`);
  }
  if (report.problems.length > 0) lines.push('', 'problems:', ...report.problems);
  return lines.join('\n');
}
