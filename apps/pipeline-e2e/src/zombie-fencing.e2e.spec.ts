/**
 * Zombie fencing: two stream-aggregator replicas share the IoT input. One is frozen (SIGSTOP)
 * while records stream in, most likely in the middle of a batch, and stays frozen past the
 * consumer session timeout: the group evicts it and the other replica takes all partitions
 * over and processes what the frozen one had in hand. Then the frozen one is let go (SIGCONT):
 * it wakes up a zombie, with a batch, a transaction and offsets that are no longer its own.
 * Exactly-once means that whatever it tries to finish is fenced: the aggregate topic, read
 * committed, holds exactly ONE record per window key (and per alert id), with the values
 * recomputed from the readings.
 */
import { isolatedRun, runEnvironment } from './support/run-environment';
import { contractsFor, type ContractsModule } from './support/contracts-module';
import { PipelineServices } from './support/pipeline-services';
import { publishEvents, publishHeartbeats, readAll, testKafka } from './support/kafka-io';
import { waitForCaughtUp, waitForServiceGroup, waitForStableSplit } from './support/consumer-group';
import { committedAlertRecords, committedWindowRecords, compareByKey, exactlyOnePerKey, expectedAlerts, expectedWindows, MINUTE, sensorReadings, splitAt } from './support/iot-workload';

const BASE = Date.UTC(2024, 4, 20, 14, 0, 0);

describe('IoT pipeline with a stream-aggregator replica frozen past its session timeout (a zombie)', () => {
  const kafka = testKafka();
  let run: ReturnType<typeof isolatedRun>;
  let services: PipelineServices;
  let contracts: ContractsModule;

  beforeAll(async () => {
    run = isolatedRun('zombie');
    services = new PipelineServices(runEnvironment(run, 'iot'));
    contracts = contractsFor(run.namespace);
  });
  afterAll(() => services.stopAll());

  it('commits exactly one record per window key and alert id after the zombie wakes up', async () => {
    const topic = contracts.sensorReadingsTopic;
    // 48 sensors, a reading every 5 s for 15 minutes.
    const readings = sensorReadings({ prefix: 'zombie', sensors: 48, start: BASE, stepMs: 5_000, steps: 180 });
    const [warmUp = [], streamedAtFreeze = [], takenOver = [], afterWakeUp = []] = splitAt(readings, [BASE + 4 * MINUTE, BASE + 8 * MINUTE, BASE + 11 * MINUTE]);
    const expected = expectedWindows(readings);
    const alerts = expectedAlerts(readings);
    expect(expected).toHaveLength(48 * (15 + 19));
    expect(alerts.length).toBeGreaterThan(20);
    const aggregatorLog = () => `stream-aggregator log:\n${services.logTail('stream-aggregator')}`;

    await services.startReplica('stream-aggregator', 'a');
    await waitForServiceGroup(kafka, `aggregator-${run.runId}`, topic.topic, topic.partitions, 1, 60000, aggregatorLog);
    await services.startReplica('stream-aggregator', 'b');
    const groupId = await waitForServiceGroup(kafka, `aggregator-${run.runId}`, topic.topic, topic.partitions, 2, 90000, aggregatorLog);
    await publishEvents(kafka, contracts, topic, warmUp);
    await waitForCaughtUp(kafka, groupId, topic.topic, 90000, aggregatorLog);

    // Records arrive in small sends, so both replicas are busy; 'a' freezes half-way through the stream.
    const half = Math.floor(streamedAtFreeze.length / 2);
    await publishEvents(kafka, contracts, topic, streamedAtFreeze.slice(0, half), { batchSize: 48 });
    services.pause('stream-aggregator', 'a');
    await publishEvents(kafka, contracts, topic, streamedAtFreeze.slice(half), { batchSize: 48 });

    // Past the 10 s session timeout the group drops 'a'; 'b' owns every partition and processes all of it.
    const survivorOnly = await waitForStableSplit(kafka, groupId, topic.topic, 1, topic.partitions, 60000, aggregatorLog);
    expect(survivorOnly.members).toHaveLength(1);
    await publishEvents(kafka, contracts, topic, takenOver);
    await waitForCaughtUp(kafka, groupId, topic.topic, 90000, aggregatorLog);

    // The zombie wakes up with whatever it had in hand, then rejoins the group.
    services.resume('stream-aggregator', 'a');
    await waitForStableSplit(kafka, groupId, topic.topic, 2, topic.partitions, 90000, aggregatorLog);
    await publishEvents(kafka, contracts, topic, afterWakeUp);
    await publishHeartbeats(kafka, contracts, topic, contracts.END_OF_INPUT);
    await waitForCaughtUp(kafka, groupId, topic.topic, 120000, aggregatorLog);
    expect(services.exited('stream-aggregator', 'a')).toBe(false);
    expect(services.exited('stream-aggregator', 'b')).toBe(false);

    // Read committed: one record per window key and per alert id, each with its expected value.
    const expectedByKey = new Map(expected.map((row) => [contracts.windowRecordKey(row.sensorId, { windowStart: Date.parse(row.windowStart), windowMinutes: row.windowMinutes }), row]));
    const alertsById = new Map(alerts.map((alert) => [alert.alertId, alert]));
    expect({
      windows: compareByKey(await committedWindowRecords(kafka, contracts), expectedByKey),
      alerts: compareByKey(await committedAlertRecords(kafka, contracts), alertsById),
    }).toEqual({ windows: exactlyOnePerKey(expected.length), alerts: exactlyOnePerKey(alerts.length) });
    expect(await readAll(kafka, contracts.lateEventsTopic.topic)).toHaveLength(0);
    expect(await readAll(kafka, contracts.deadLetterTopic.topic)).toHaveLength(0);
  });
});
