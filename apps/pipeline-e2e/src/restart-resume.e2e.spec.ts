/**
 * Restart-to-work time (issue #8): with readings streaming in, the warehouse-sink and then the
 * stream-aggregator are killed (SIGKILL, mid-stream) and started again at once; the test measures
 * from the restart to the restarted service's first committed work: a new row landed (sink), its
 * input offsets committed in an output transaction (aggregator). Every reading raises an alert, so
 * alert rows grow as long as both services work. The killed member stays in its consumer group
 * until its session timeout ends (kafkajs has no static membership), which bounds the figure.
 */
import { isolatedRun, runEnvironment } from './support/run-environment';
import { contractsFor, type ContractsModule } from './support/contracts-module';
import { PipelineServices } from './support/pipeline-services';
import { openPublisher, testKafka } from './support/kafka-io';
import { tableCount } from './support/scenario';
import { committedOffsets, waitForServiceGroup } from './support/consumer-group';
import type { Reading } from './support/iot-workload';
import { sleep, waitFor } from './support/wait';

/** The target of the issue: from the restart to the first committed work. */
const RESUMES_WITHIN_MS = 15_000;
const SENSORS = 12;
const BASE = Date.UTC(2024, 9, 1, 7, 0, 0);

/** One reading per sensor for step `step`, every one above the temperature warning (one alert each). */
function hotReadings(step: number): Reading[] {
  return Array.from({ length: SENSORS }, (_, index) => ({
    sensorId: `restart-${String(index + 1).padStart(2, '0')}`,
    timestamp: BASE + step * 1000,
    temperature: 44.5,
    humidity: 55,
    pressure: 1012,
    location: { latitude: 52.5, longitude: 13.4 },
    batteryLevel: 0.9,
  }));
}

describe('a killed warehouse-sink or stream-aggregator restarted mid-stream', () => {
  const kafka = testKafka();
  let run: ReturnType<typeof isolatedRun>;
  let services: PipelineServices;
  let contracts: ContractsModule;
  let feeding = true;
  let feeder: Promise<void> | undefined;

  beforeAll(async () => {
    run = isolatedRun('restart');
    services = new PipelineServices(runEnvironment(run, 'iot'));
    contracts = contractsFor(run.namespace);
  });
  afterAll(async () => {
    feeding = false;
    await feeder;
    await services.stopAll();
  });

  it(`resumes committed work within ${RESUMES_WITHIN_MS / 1000} s of its restart`, async () => {
    const topic = contracts.sensorReadingsTopic;
    const logs = () => `stream-aggregator log:\n${services.logTail('stream-aggregator')}\nwarehouse-sink log:\n${services.logTail('warehouse-sink')}`;
    const alertRows = () => tableCount(run.warehouseSchema, 'iot_sensor_alerts');
    await services.start('warehouse-sink');
    await waitForServiceGroup(kafka, `sink-${run.runId}`, contracts.sensorAlertsTopic.topic, contracts.sensorAlertsTopic.partitions, 1, 60_000, logs);
    await services.start('stream-aggregator');
    const aggregatorGroup = await waitForServiceGroup(kafka, `aggregator-${run.runId}`, topic.topic, topic.partitions, 1, 60_000, logs);

    // Readings keep coming, four steps a second, for the whole test.
    const publisher = await openPublisher(kafka, contracts, topic);
    feeder = (async () => {
      try {
        for (let step = 0; feeding; step++) {
          await publisher.send(hotReadings(step));
          await sleep(250);
        }
      } finally {
        await publisher.close();
      }
    })();
    await waitFor('alert rows landing', alertRows, (rows) => rows > 0, { timeoutMs: 60_000, context: logs });

    // The sink: killed, started again at once; its first new row.
    await services.kill('warehouse-sink');
    const rowsAtSinkRestart = await alertRows();
    const sinkRestartedAt = Date.now();
    await services.startWaiting('warehouse-sink');
    await waitFor('the restarted sink landing new rows', alertRows, (rows) => rows > rowsAtSinkRestart, { timeoutMs: 90_000, intervalMs: 200, context: logs });
    const sinkResumedMs = Date.now() - sinkRestartedAt;

    // The aggregator: killed (likely inside a transaction), started again at once; its first committed transaction.
    const committedSum = async () => [...(await committedOffsets(kafka, aggregatorGroup, topic.topic)).values()].reduce((sum, offset) => sum + (offset > 0n ? offset : 0n), 0n);
    await services.kill('stream-aggregator');
    const committedAtRestart = await committedSum();
    const rowsAtAggregatorRestart = await alertRows();
    const aggregatorRestartedAt = Date.now();
    await services.startWaiting('stream-aggregator');
    await waitFor('the restarted aggregator committing', committedSum, (sum) => sum > committedAtRestart, { timeoutMs: 90_000, intervalMs: 200, context: logs });
    const aggregatorResumedMs = Date.now() - aggregatorRestartedAt;
    await waitFor('new rows from the restarted aggregator', alertRows, (rows) => rows > rowsAtAggregatorRestart, { timeoutMs: 90_000, intervalMs: 200, context: logs });
    const rowsAfterAggregatorMs = Date.now() - aggregatorRestartedAt;

    process.stdout.write(
      `restart to first committed work: warehouse-sink ${(sinkResumedMs / 1000).toFixed(1)} s (new row landed); ` +
        `stream-aggregator ${(aggregatorResumedMs / 1000).toFixed(1)} s (transaction committed), new rows in the warehouse after ${(rowsAfterAggregatorMs / 1000).toFixed(1)} s\n`,
    );
    expect(services.exited('warehouse-sink')).toBe(false);
    expect(services.exited('stream-aggregator')).toBe(false);
    expect(sinkResumedMs).toBeLessThanOrEqual(RESUMES_WITHIN_MS);
    expect(aggregatorResumedMs).toBeLessThanOrEqual(RESUMES_WITHIN_MS);
  });
});
