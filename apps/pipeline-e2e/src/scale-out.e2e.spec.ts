/**
 * Scale-out: the IoT pipeline run by several stream-aggregator replicas in one consumer group
 * (each its own AGGREGATOR_INSTANCE_ID, so its own transactional id), sensors spread over every
 * partition of the input topic. Once the first windows reach the warehouse one replica is killed
 * (SIGKILL: no graceful leave, possibly mid-transaction); the input keeps coming, the survivors
 * take its partitions over (state restored from the changelog, offsets from the group) and the
 * warehouse must end up with exactly the windows and alerts recomputed from the readings.
 */
import { isolatedRun, runEnvironment } from './support/run-environment';
import { contractsFor, type ContractsModule } from './support/contracts-module';
import { PipelineServices } from './support/pipeline-services';
import { publishEvents, publishHeartbeats, readAll, testKafka } from './support/kafka-io';
import { waitForRowCount } from './support/warehouse-rows';
import { tableCount } from './support/scenario';
import { waitForServiceGroup, waitForStableSplit } from './support/consumer-group';
import { expectedAlerts, expectedWindows, MINUTE, sensorReadings, splitAt, warehouseAlerts, warehouseWindows } from './support/iot-workload';
import { waitFor, withContext } from './support/wait';

const BASE = Date.UTC(2024, 2, 4, 8, 0, 0);

describe.each([2, 3])('IoT pipeline scaled out to %i stream-aggregator replicas, one killed mid-run', (replicas) => {
  const kafka = testKafka();
  let run: ReturnType<typeof isolatedRun>;
  let services: PipelineServices;
  let contracts: ContractsModule;

  beforeAll(async () => {
    run = isolatedRun(`scale${replicas}`);
    services = new PipelineServices(runEnvironment(run, 'iot'));
    contracts = contractsFor(run.namespace);
  });
  afterAll(() => services.stopAll());

  it('lands exactly the expected windows and alerts once the survivors own the killed replica\'s partitions', async () => {
    const topic = contracts.sensorReadingsTopic;
    // 48 sensors, a reading every 10 s for 12 minutes; the group's partitions all carry some.
    const readings = sensorReadings({ prefix: `scale${replicas}`, sensors: 48, start: BASE, stepMs: 10_000, steps: 72 });
    const [beforeKill = [], whileTakingOver = [], afterTakeOver = []] = splitAt(readings, [BASE + 5 * MINUTE, BASE + 9 * MINUTE]);
    const expected = expectedWindows(readings);
    const alerts = expectedAlerts(readings);
    expect(expected).toHaveLength(48 * (12 + 16));
    expect(alerts.length).toBeGreaterThan(20);
    const aggregatorLog = () => `stream-aggregator log:\n${services.logTail('stream-aggregator')}`;
    const logs = () => `${aggregatorLog()}\nwarehouse-sink log:\n${services.logTail('warehouse-sink')}`;

    await services.start('warehouse-sink');
    await waitForServiceGroup(kafka, `sink-${run.runId}`, contracts.sensorWindowStatsTopic.topic, contracts.sensorWindowStatsTopic.partitions, 1, 60000, logs);
    // One replica after the other, each running (joined, owning partitions) before the next starts.
    let groupId = '';
    for (const [started, instance] of ['r1', 'r2', 'r3'].slice(0, replicas).entries()) {
      await services.startReplica('stream-aggregator', instance);
      groupId = await waitForServiceGroup(kafka, `aggregator-${run.runId}`, topic.topic, topic.partitions, started + 1, 90000, aggregatorLog);
    }

    await publishEvents(kafka, contracts, topic, beforeKill);
    const admin = kafka.admin();
    await admin.connect();
    const filled = await admin.fetchTopicOffsets(topic.topic).finally(() => admin.disconnect());
    expect(filled.filter((partition) => BigInt(partition.high) > 0n).map((partition) => partition.partition).sort()).toEqual([...Array(topic.partitions).keys()]);

    await waitFor('first rows of iot_sensor_window_stats before the kill', () => tableCount(run.warehouseSchema, 'iot_sensor_window_stats'), (rows) => rows > 0, { timeoutMs: 90000, context: aggregatorLog });
    // Records stream in small sends so the replicas are busy: r1 dies half-way, likely inside a transaction.
    const half = Math.floor(whileTakingOver.length / 2);
    await publishEvents(kafka, contracts, topic, whileTakingOver.slice(0, half), { batchSize: 48 });
    await services.kill('stream-aggregator', 'r1');
    await publishEvents(kafka, contracts, topic, whileTakingOver.slice(half), { batchSize: 48 });
    // The survivors notice the dead member after the session timeout and share all its partitions.
    await waitForStableSplit(kafka, groupId, topic.topic, replicas - 1, topic.partitions, 90000, aggregatorLog);
    await publishEvents(kafka, contracts, topic, afterTakeOver);
    await publishHeartbeats(kafka, contracts, topic, contracts.END_OF_INPUT);

    // A transaction the killed replica left open holds read-committed readers back until the broker aborts it (60 s).
    await withContext(waitForRowCount('iot_sensor_window_stats', () => tableCount(run.warehouseSchema, 'iot_sensor_window_stats'), expected.length, 180000), logs);
    await withContext(waitForRowCount('iot_sensor_alerts', () => tableCount(run.warehouseSchema, 'iot_sensor_alerts'), alerts.length, 60000), logs);

    expect(await warehouseWindows(run.warehouseSchema)).toEqual(expected);
    expect(await warehouseAlerts(run.warehouseSchema)).toEqual(alerts);
    expect(await readAll(kafka, contracts.lateEventsTopic.topic)).toHaveLength(0);
    expect(await readAll(kafka, contracts.deadLetterTopic.topic)).toHaveLength(0);
  });
});
