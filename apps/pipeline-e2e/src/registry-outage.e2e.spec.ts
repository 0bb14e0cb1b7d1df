/**
 * Schema registry outage: the aggregator and the sink cache writer schemas by id, so they only
 * ask the registry for an id they have not seen. The test makes them ask while it is down:
 * - the aggregator: the second half of the readings is written with a NEW, compatible writer
 *   schema (a second version of the input subject, with an extra optional field) and published
 *   while the registry is down;
 * - the sink: it starts before any window has closed, so the first aggregates it ever reads
 *   (emitted by end-of-input heartbeats) arrive while the registry is down again.
 * An unreachable registry is a transient failure: nothing may be dead-lettered, and once the
 * registry is back the warehouse holds exactly the windows and alerts of all the readings.
 * Two kinds of outage: the registry frozen (SIGSTOP: requests hang) and stopped (refused).
 */
import { Type, type Schema } from 'avsc';
import { createSchemaRegistry, registerAvroSchema } from '@pipeline/kafka';
import { isolatedRun, requiredEnv, runEnvironment } from './support/run-environment';
import { loadContracts, type ContractsModule } from './support/contracts-module';
import { PipelineServices } from './support/pipeline-services';
import { header, publishEncoded, publishEvents, publishHeartbeats, readAll, testKafka } from './support/kafka-io';
import { waitForRowCount } from './support/warehouse-rows';
import { tableCount } from './support/scenario';
import { findGroupId, waitForCaughtUp } from './support/consumer-group';
import { expectedAlerts, expectedWindows, sensorReadings, splitAt, warehouseAlerts, warehouseWindows, type Reading } from './support/iot-workload';
import { bringRegistryBack, restoreRegistry, takeRegistryDown, type RegistryOutage } from './support/registry-outage';
import { sleep, waitFor, withContext } from './support/wait';

const BASE = Date.UTC(2024, 6, 8, 9, 0, 0);

/**
 * How long each outage lasts at least: a frozen registry longer than a 10 s look-up deadline (a
 * client that gives up on a hung request must retry, not dead-letter); a stopped one a few seconds
 * before it is started again (starting takes about 10 s more, all of it unreachable).
 */
const OUTAGE_MS: Record<RegistryOutage, number> = { frozen: 15000, stopped: 5000 };

const CASES: [string, RegistryOutage][] = [
  ['frozen (SIGSTOP: requests hang)', 'frozen'],
  ['stopped (connections refused), then restarted', 'stopped'],
];

describe.each(CASES)('IoT pipeline with the schema registry %s', (_title, outage) => {
  const kafka = testKafka();
  let run: ReturnType<typeof isolatedRun>;
  let services: PipelineServices;
  let contracts: ContractsModule;

  beforeAll(async () => {
    run = isolatedRun(`registry-${outage}`);
    services = new PipelineServices(runEnvironment(run, 'iot'));
    contracts = await loadContracts();
  });
  afterAll(async () => {
    await restoreRegistry();
    await services.stopAll();
  });

  it('dead-letters nothing and lands exactly the expected rows once the registry is back', async () => {
    const topic = contracts.sensorReadingsTopic;
    const registry = createSchemaRegistry(requiredEnv('SCHEMA_REGISTRY_URL'));
    // 24 sensors, a reading every 5 s for 65 s: no window can close before the end-of-input heartbeats.
    const readings = sensorReadings({ prefix: `reg-${outage}`, sensors: 24, start: BASE, stepMs: 5_000, steps: 14 });
    const [writtenWithV1 = [], writtenWithV2 = []] = splitAt(readings, [BASE + 35_000]);
    const expected = expectedWindows(readings);
    const alerts = expectedAlerts(readings);
    expect(expected).toHaveLength(24 * (2 + 6));
    expect(expectedAlerts(writtenWithV2).length).toBeGreaterThan(0);
    const logs = () => `stream-aggregator log:\n${services.logTail('stream-aggregator')}\nwarehouse-sink log:\n${services.logTail('warehouse-sink')}`;
    const deadLetters = async () => (await readAll(kafka, contracts.deadLetterTopic.topic)).map((record) => `${header(record, contracts.HEADERS.source) ?? '?'}: ${header(record, contracts.HEADERS.reason) ?? '?'}`);

    await services.start('stream-aggregator');
    const groupId = await findGroupId(kafka, `aggregator-${run.runId}`);
    await publishEvents(kafka, contracts, topic, writtenWithV1);
    // The second version of the input contract: an extra optional field with a default (BACKWARD compatible).
    const v1Id = await registerAvroSchema(registry, topic.subject, topic.contract.avroSchema);
    const v2Schema = { ...topic.contract.avroSchema, fields: [...topic.contract.avroSchema.fields, { name: 'firmwareVersion', type: ['null', 'string'], default: null, doc: 'firmware of the sensor (v2)' }] };
    const v2Id = await registerAvroSchema(registry, topic.subject, v2Schema);
    expect(v2Id).not.toBe(v1Id);
    const v2Type = Type.forSchema(v2Schema as Schema);
    const encodeV2 = (reading: Reading) => {
      const prefix = Buffer.alloc(5);
      prefix.writeInt32BE(v2Id, 1);
      return Buffer.concat([prefix, v2Type.toBuffer({ ...reading, firmwareVersion: 'fw-2.4.1' })]);
    };
    // The aggregator has read every v1 record: their writer schema is cached, the v2 one is not.
    await waitForCaughtUp(kafka, groupId, topic.topic, 60000, logs);

    // Outage 1: records with the new writer schema id arrive while the registry is down.
    const firstDown = Date.now();
    await takeRegistryDown(outage);
    await publishEncoded(kafka, topic.topic, writtenWithV2.map((reading) => ({ key: reading.sensorId, value: encodeV2(reading) })));
    await sleep(Math.max(0, firstDown + OUTAGE_MS[outage] - Date.now()));
    await bringRegistryBack(outage);
    await waitForCaughtUp(kafka, groupId, topic.topic, 120000, logs);
    expect(await deadLetters()).toEqual([]);

    // Outage 2: the sink has read no aggregate yet when the registry goes down and the windows close.
    await services.start('warehouse-sink');
    expect(await readAll(kafka, contracts.sensorWindowStatsTopic.topic)).toHaveLength(0);
    const secondDown = Date.now();
    await takeRegistryDown(outage);
    await publishHeartbeats(kafka, contracts, topic, contracts.END_OF_INPUT);
    await waitForCaughtUp(kafka, groupId, topic.topic, 60000, logs);
    await waitFor('every aggregate committed while the registry is down', async () => (await readAll(kafka, contracts.sensorWindowStatsTopic.topic)).length, (count) => count === expected.length, { timeoutMs: 60000, context: logs });
    await sleep(Math.max(0, secondDown + OUTAGE_MS[outage] - Date.now()));
    await bringRegistryBack(outage);

    await withContext(waitForRowCount('iot_sensor_window_stats', () => tableCount(run.warehouseSchema, 'iot_sensor_window_stats'), expected.length, 120000), logs);
    await withContext(waitForRowCount('iot_sensor_alerts', () => tableCount(run.warehouseSchema, 'iot_sensor_alerts'), alerts.length, 60000), logs);
    expect(await warehouseWindows(run.warehouseSchema)).toEqual(expected);
    expect(await warehouseAlerts(run.warehouseSchema)).toEqual(alerts);
    expect(await deadLetters()).toEqual([]);
    expect(await readAll(kafka, contracts.lateEventsTopic.topic)).toHaveLength(0);
  });
});
