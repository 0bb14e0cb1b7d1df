/**
 * A row the database refuses for good. The contracts' bounds keep every valid value inside its
 * column (a 20,000-character sensor id is refused at ingestion now), so the refusal comes from
 * the database alone: the test adds a CHECK to its run's table that one sensor's rows break
 * (SQLSTATE 23514, as a constraint a DBA added would). That sensor's readings go through the
 * whole pipeline, and when its windows close PostgreSQL refuses their rows. No retry can land
 * them: each goes to the dead-letter topic with the SQLSTATE in its reason, every other row lands,
 * and the sink keeps moving: later windows on the same partitions of the aggregate topic land too.
 */
import { isolatedRun, runEnvironment } from './support/run-environment';
import { contractsFor, type ContractsModule } from './support/contracts-module';
import { PipelineServices } from './support/pipeline-services';
import { header, publishEvents, publishHeartbeats, readAll, readEach, testKafka } from './support/kafka-io';
import { queryRows, waitForRowCount } from './support/warehouse-rows';
import { tableCount } from './support/scenario';
import { waitForCommittedPast, waitForServiceGroup } from './support/consumer-group';
import { committedWindowRecords, expectedAlerts, expectedWindows, MINUTE, sensorReadings, splitAt, warehouseAlerts, warehouseWindows, type Reading } from './support/iot-workload';
import { waitFor, withContext } from './support/wait';

const BASE = Date.UTC(2024, 8, 2, 16, 0, 0);

/** The sensor whose aggregate rows the run's table refuses. */
const REFUSED_SENSOR = 'refused-sensor';

describe('IoT pipeline with an aggregate row the database refuses', () => {
  const kafka = testKafka();
  let run: ReturnType<typeof isolatedRun>;
  let services: PipelineServices;
  let contracts: ContractsModule;

  beforeAll(async () => {
    run = isolatedRun('refusal');
    services = new PipelineServices(runEnvironment(run, 'iot'));
    contracts = contractsFor(run.namespace);
  });
  afterAll(() => services.stopAll());

  it('dead-letters the refused aggregates with SQLSTATE 23514, lands every other row and keeps landing later windows', async () => {
    const topic = contracts.sensorReadingsTopic;
    const refusedId = REFUSED_SENSOR;
    const refusedReading: Reading = { sensorId: refusedId, timestamp: BASE + 70_000, temperature: 21.5, humidity: 55, pressure: 1011, location: { latitude: 48.1, longitude: 11.6 }, batteryLevel: 0.8 };
    // 12 ordinary sensors, a reading every 10 s for 9 minutes.
    const ordinary = sensorReadings({ prefix: 'refusal', sensors: 12, start: BASE, stepMs: 10_000, steps: 54 });
    const [early = [], late = []] = splitAt(ordinary, [BASE + 4 * MINUTE]);
    const at = early.findIndex((reading) => reading.timestamp > refusedReading.timestamp);
    const firstPart = [...early.slice(0, at), refusedReading, ...early.slice(at)];

    const expected = expectedWindows(ordinary);
    const alerts = expectedAlerts(ordinary);
    // The refused sensor's reading is in one 1-minute and five 5-minute windows; it raises no alert.
    const refused = expectedWindows([refusedReading]);
    expect(refused).toHaveLength(6);
    expect(expectedAlerts([refusedReading])).toEqual([]);
    const refusedKeys = refused.map((row) => contracts.windowRecordKey(row.sensorId, { windowStart: Date.parse(row.windowStart), windowMinutes: row.windowMinutes }));
    const logs = () => `warehouse-sink log:\n${services.logTail('warehouse-sink')}`;

    await services.start('warehouse-sink');
    const sinkGroup = await waitForServiceGroup(kafka, `sink-${run.runId}`, contracts.sensorWindowStatsTopic.topic, contracts.sensorWindowStatsTopic.partitions, 1, 60000, logs);
    await services.start('stream-aggregator');
    await waitForServiceGroup(kafka, `aggregator-${run.runId}`, topic.topic, topic.partitions, 1, 60000, logs);
    // The sink has migrated the run's schema by now (it joins its group after): the table refuses one sensor.
    await queryRows(run.warehouseSchema, `ALTER TABLE iot_sensor_window_stats ADD CONSTRAINT e2e_refused_sensor CHECK (sensor_id <> '${REFUSED_SENSOR}')`);
    await publishEvents(kafka, contracts, topic, firstPart);
    // Event time reaches minute 4 on every partition: the refused sensor's 1-minute window closes.
    await publishHeartbeats(kafka, contracts, topic, BASE + 4 * MINUTE);
    await waitFor(
      "the refused sensor's 1-minute aggregate committed to the aggregate topic",
      async () => (await committedWindowRecords(kafka, contracts)).filter((record) => record.value.sensorId === refusedId && record.value.windowMinutes === 1).length,
      (count) => count === 1,
      { timeoutMs: 60000 },
    );
    // Later windows, on the same aggregate partitions, after the refused row.
    await publishEvents(kafka, contracts, topic, late);
    await publishHeartbeats(kafka, contracts, topic, contracts.END_OF_INPUT);

    await withContext(waitForRowCount('iot_sensor_window_stats', () => tableCount(run.warehouseSchema, 'iot_sensor_window_stats'), expected.length, 90000), logs);
    await withContext(waitForRowCount('iot_sensor_alerts', () => tableCount(run.warehouseSchema, 'iot_sensor_alerts'), alerts.length, 60000), logs);
    expect(await warehouseWindows(run.warehouseSchema)).toEqual(expected);
    expect(await warehouseAlerts(run.warehouseSchema)).toEqual(alerts);

    const aggregates = await committedWindowRecords(kafka, contracts);
    // The sink has committed past the last aggregate of every partition: none is stuck on the refused rows.
    const lastRecords = new Map<number, bigint>();
    for (const record of aggregates) if (BigInt(record.offset) > (lastRecords.get(record.partition) ?? -1n)) lastRecords.set(record.partition, BigInt(record.offset));
    await waitForCommittedPast(kafka, sinkGroup, contracts.sensorWindowStatsTopic.topic, lastRecords, 30000, logs);
    const refusedRecords = aggregates.filter((record) => record.value.sensorId === refusedId);
    expect(refusedRecords.map((record) => record.key).sort()).toEqual([...refusedKeys].sort());
    const refusedPartitions = [...new Set(refusedRecords.map((record) => record.partition))].sort();
    const partitionsMovingOn = refusedPartitions.filter((partition) =>
      aggregates.some((record) => record.partition === partition && record.value.sensorId !== refusedId && refusedRecords.every((refusal) => refusal.partition !== partition || BigInt(record.offset) > BigInt(refusal.offset))),
    );
    expect(partitionsMovingOn).toEqual(refusedPartitions);

    const deadLetters: { key: string; reason: string; sourceTopic: string }[] = [];
    await readEach(kafka, contracts.deadLetterTopic.topic, (record) =>
      deadLetters.push({ key: record.key?.toString() ?? '', reason: header(record, contracts.HEADERS.reason) ?? '', sourceTopic: header(record, contracts.HEADERS.sourceTopic) ?? '' }),
    );
    expect(deadLetters.map((letter) => letter.key).sort()).toEqual([...refusedKeys].sort());
    for (const letter of deadLetters) {
      expect(letter.sourceTopic).toBe(contracts.sensorWindowStatsTopic.topic);
      expect(letter.reason).toContain('23514');
    }
    expect(await readAll(kafka, contracts.lateEventsTopic.topic)).toHaveLength(0);
  });
});
