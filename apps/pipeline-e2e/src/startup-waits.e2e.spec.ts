/**
 * Start-up that waits instead of crashing (issue #8): each consuming service started with one of
 * its dependencies unreachable stays up, answers /health 503 naming the dependency, and works
 * within 15 s once the dependency is back. A dependency is made unreachable by a TCP proxy in
 * front of it that refuses connections (nothing listens on its port) until it is unblocked.
 * Kafka clients learn broker addresses from metadata, and the local broker advertises its own
 * address: the proxy is the bootstrap server only, which is what "unreachable at start" needs.
 * The three cases run at the same time, each in its own topic namespace and warehouse schema.
 */
import { startTcpProxy, type TcpProxy, type ServiceName } from '@pipeline/stack';
import { isolatedRun, requiredEnv, runEnvironment } from './support/run-environment';
import { contractsFor, type ContractsModule } from './support/contracts-module';
import { PipelineServices } from './support/pipeline-services';
import { publishEvents, publishHeartbeats, testKafka } from './support/kafka-io';
import { tableCount } from './support/scenario';
import { findGroupId, waitForCaughtUp } from './support/consumer-group';
import { sensorReadings } from './support/iot-workload';
import { waitFor } from './support/wait';

/** The acceptance bound: from the dependency answering again to the service's first committed work. */
const WORKS_WITHIN_MS = 15_000;
/** How long the dependency stays unreachable at least, after the service reported it. */
const OUTAGE_MS = 5_000;

type Dependency = 'kafka' | 'schema registry' | 'postgres';

interface Case {
  readonly dependency: Dependency;
  /** The service started with the dependency unreachable. */
  readonly service: ServiceName;
  /** Its /health part that reports the start-up and its dependency check. */
  readonly part: string;
  readonly check: string;
}

const CASES: readonly Case[] = [
  { dependency: 'kafka', service: 'stream-aggregator', part: 'pipeline:iot', check: 'kafka' },
  { dependency: 'schema registry', service: 'stream-aggregator', part: 'pipeline:iot', check: 'schema-registry' },
  { dependency: 'postgres', service: 'warehouse-sink', part: 'sink', check: 'postgres' },
];

/** The endpoint variable of a dependency, rewritten to go through the proxy. */
function throughProxy(dependency: Dependency, proxy: TcpProxy): NodeJS.ProcessEnv {
  if (dependency === 'kafka') return { KAFKA_BROKERS: proxy.address };
  const name = dependency === 'postgres' ? 'DATABASE_URL' : 'SCHEMA_REGISTRY_URL';
  const url = new URL(requiredEnv(name));
  url.host = proxy.address;
  return { [name]: url.toString().replace(/\/$/, '') };
}

function targetOf(dependency: Dependency): string {
  if (dependency === 'kafka') return requiredEnv('KAFKA_BROKERS').split(',')[0] ?? '';
  const url = new URL(requiredEnv(dependency === 'postgres' ? 'DATABASE_URL' : 'SCHEMA_REGISTRY_URL'));
  return `${url.hostname}:${url.port}`;
}

interface Prepared {
  readonly testCase: Case;
  readonly run: ReturnType<typeof isolatedRun>;
  readonly contracts: ContractsModule;
  readonly services: PipelineServices;
  readonly proxy: TcpProxy;
}

describe('start-up with a dependency unreachable', () => {
  const kafka = testKafka();
  const prepared: Prepared[] = [];

  beforeAll(async () => {
    // Each case in a namespace of its own (contractsFor binds its topics).
    for (const testCase of CASES) {
      const run = isolatedRun(`startup-${testCase.dependency.replace(' ', '-')}`);
      const contracts = contractsFor(run.namespace);
      const proxy = await startTcpProxy({ target: targetOf(testCase.dependency), blocked: 'refuse' });
      prepared.push({ testCase, run, contracts, services: new PipelineServices(runEnvironment(run, 'iot')), proxy });
    }
  });
  afterAll(async () => {
    await Promise.all(prepared.map(({ services }) => services.stopAll()));
    await Promise.all(prepared.map(({ proxy }) => proxy.close()));
  });

  async function runCase({ testCase, run, contracts, services, proxy }: Prepared): Promise<string> {
    const { dependency, service, part, check } = testCase;
    const topic = contracts.sensorReadingsTopic;
    const logs = () => `${service} log:\n${services.logTail(service, 12)}`;
    if (service === 'warehouse-sink') {
      // The sink's input comes from a healthy aggregator.
      await services.start('stream-aggregator');
    }
    await services.startWaiting(service, throughProxy(dependency, proxy));

    const waiting = await waitFor(
      `${service} answering /health 503 naming ${dependency}`,
      () => services.health(service),
      (health) => health.status === 'error' && (health.dependencies[part] ?? '').startsWith(`starting: waiting for ${dependency}: `) && health.dependencies[check] !== undefined,
      { timeoutMs: 60_000, intervalMs: 500, context: logs },
    );
    const downSince = Date.now();
    // Records wait while the dependency is away: readings with alerts, and every window closed.
    const readings = sensorReadings({ prefix: `startup-${dependency.replace(' ', '-')}`, sensors: 12, start: Date.UTC(2024, 8, 2, 6, 0, 0), stepMs: 10_000, steps: 9 });
    await publishEvents(kafka, contracts, topic, readings);
    await publishHeartbeats(kafka, contracts, topic, contracts.END_OF_INPUT);
    if (service === 'warehouse-sink') await waitForCaughtUp(kafka, await findGroupId(kafka, `aggregator-${run.runId}`), topic.topic, 90_000, logs);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, downSince + OUTAGE_MS - Date.now())));
    const stillWaiting = await services.health(service);
    expect(services.exited(service)).toBe(false);
    expect(stillWaiting.dependencies[part]).toMatch(new RegExp(`^starting: waiting for ${dependency}: `));

    const backAt = Date.now();
    await proxy.unblock();
    if (service === 'stream-aggregator') {
      // The aggregator's input offsets commit in the transaction of its outputs: caught up = its work committed.
      const groupId = await findGroupId(kafka, `aggregator-${run.runId}`, WORKS_WITHIN_MS * 2);
      await waitForCaughtUp(kafka, groupId, topic.topic, WORKS_WITHIN_MS * 3, logs);
    } else {
      await waitFor('the first rows landed', () => tableCount(run.warehouseSchema, 'iot_sensor_window_stats'), (rows) => rows > 0, { timeoutMs: WORKS_WITHIN_MS * 3, intervalMs: 250, context: logs });
    }
    const worksAfterMs = Date.now() - backAt;
    const report = `${service} with ${dependency} unreachable: /health 503 "${waiting.dependencies[part]}"; ${dependency} back → work committed after ${(worksAfterMs / 1000).toFixed(1)} s`;
    expect(worksAfterMs).toBeLessThanOrEqual(WORKS_WITHIN_MS);
    await waitFor(`${service} healthy`, () => services.health(service), (health) => health.status === 'ok', { timeoutMs: 30_000, context: logs });
    return report;
  }

  it('stays up answering 503 "starting: waiting for <dependency>: …" and works within 15 s of the dependency coming back (kafka, schema registry, postgres)', async () => {
    const reports = await Promise.all(prepared.map((entry) => runCase(entry)));
    process.stdout.write(`${reports.join('\n')}\n`);
  });

  it('exits 1 with one line naming what it waits for once STARTUP_DEADLINE_MS has passed', async () => {
    const run = isolatedRun('startup-deadline');
    const services = new PipelineServices(runEnvironment(run, 'iot'));
    const proxy = await startTcpProxy({ target: targetOf('schema registry'), blocked: 'refuse' });
    try {
      await services.startWaiting('stream-aggregator', { ...throughProxy('schema registry', proxy), STARTUP_DEADLINE_MS: '4000' });
      await waitFor('the aggregator exiting', async () => services.exited('stream-aggregator'), (exited) => exited, { timeoutMs: 60_000, context: () => services.logTail('stream-aggregator') });
      expect(services.exitCode('stream-aggregator')).toBe(1);
      expect(services.logTail('stream-aggregator', 1)).toMatch(/^stream-aggregator: not started within 4 s \(STARTUP_DEADLINE_MS\): pipeline:iot: starting: waiting for schema registry: /);
    } finally {
      await services.stopAll();
      await proxy.close();
    }
  });
});
