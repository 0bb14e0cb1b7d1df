/**
 * Schema registry outage: the aggregator and the sink cache writer schemas by id (the ids they
 * registered themselves included), so they only ask the registry for an id they have not seen.
 * The test makes each of them ask while the registry is down:
 * - the aggregator: the second half of the readings is written with a NEW, compatible writer
 *   schema (a second version of the input subject, with an extra optional field) and published
 *   while the registry is down;
 * - the sink: while the registry is down again, the windows close (end-of-input heartbeats) and,
 *   beside the aggregator's records, aggregates written with a second version of the aggregate
 *   subject (as a newer aggregator would write them in a rolling upgrade) reach its topic.
 * An unreachable registry is a transient failure: nothing may be dead-lettered, no service may
 * die, and once the registry is back the warehouse holds exactly the expected windows and alerts.
 * Two kinds of outage: the registry frozen (SIGSTOP: requests hang) and stopped (refused).
 */
import { Type, type Schema } from 'avsc';
import { createSchemaRegistry, registerAvroSchema } from '@pipeline/kafka';
import { isolatedRun, requiredEnv, runEnvironment } from './support/run-environment';
import { contractsFor, type ContractsModule } from './support/contracts-module';
import { PipelineServices } from './support/pipeline-services';
import { header, publishEncoded, publishEvents, publishHeartbeats, readAll, testKafka } from './support/kafka-io';
import { waitForRowCount } from './support/warehouse-rows';
import { tableCount } from './support/scenario';
import { waitForCaughtUp, waitForServiceGroup } from './support/consumer-group';
import { byWindow, expectedAlerts, expectedWindows, MINUTE, sensorReadings, splitAt, warehouseAlerts, warehouseWindows, type Reading, type WindowRow } from './support/iot-workload';
import { iso } from './support/reference';
import { bringRegistryBack, restoreRegistry, takeRegistryDown, type RegistryOutage } from './support/registry-outage';
import { sleep, waitFor, withContext } from './support/wait';

const BASE = Date.UTC(2024, 6, 8, 9, 0, 0);

/**
 * How long each outage lasts at least: a frozen registry longer than a 10 s look-up deadline (a
 * client that gives up on a hung request must retry, not dead-letter); a stopped one a few seconds
 * before it is started again (starting takes about 10 s more, all of it unreachable).
 */
const OUTAGE_MS: Record<RegistryOutage, number> = { frozen: 15000, stopped: 5000 };

/** The Confluent wire format: magic byte 0, the writer schema id, the Avro body. */
function wireFormat(schemaId: number, body: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeInt32BE(schemaId, 1);
  return Buffer.concat([prefix, body]);
}

/** Three 1-minute windows of one sensor, as an upgraded aggregator would have computed them. */
function upgradedAggregatorRows(sensorId: string): WindowRow[] {
  return [0, 1, 2].map((minute) => ({
    sensorId,
    windowStart: iso(BASE + minute * MINUTE),
    windowEnd: iso(BASE + (minute + 1) * MINUTE),
    windowMinutes: 1,
    readingCount: 6 + minute,
    avgTemperature: 20.125 + minute,
    minTemperature: 18.5,
    maxTemperature: 22.75 + minute,
    avgHumidity: 50.5,
    minHumidity: 45,
    maxHumidity: 55.25,
    avgPressure: 1010.125,
    minPressure: 1009,
    maxPressure: 1011.5,
    minBatteryLevel: 0.75,
    temperatureTrend: minute === 1 ? 'stable' : 'increasing',
  }));
}

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
    contracts = contractsFor(run.namespace);
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
    const groupId = await waitForServiceGroup(kafka, `aggregator-${run.runId}`, topic.topic, topic.partitions, 1, 60000, logs);
    await publishEvents(kafka, contracts, topic, writtenWithV1);
    // The second version of the input contract: an extra optional field with a default (BACKWARD compatible).
    const v1Id = await registerAvroSchema(registry, topic.subject, topic.contract.avroSchema);
    const v2Schema = { ...topic.contract.avroSchema, fields: [...topic.contract.avroSchema.fields, { name: 'firmwareVersion', type: ['null', 'string'], default: null, doc: 'firmware of the sensor (v2)' }] };
    const v2Id = await registerAvroSchema(registry, topic.subject, v2Schema);
    expect(v2Id).not.toBe(v1Id);
    const v2Type = Type.forSchema(v2Schema as Schema);
    const encodeV2 = (reading: Reading) => wireFormat(v2Id, v2Type.toBuffer({ ...reading, firmwareVersion: 'fw-2.4.1' }));
    // The aggregator has read every v1 record: their writer schema is cached, the v2 one is not.
    await waitForCaughtUp(kafka, groupId, topic.topic, 60000, logs);

    // Outage 1: records with the new writer schema id arrive while the registry is down.
    const firstDown = Date.now();
    await takeRegistryDown(outage);
    await publishEncoded(kafka, topic.topic, writtenWithV2.map((reading) => ({ key: reading.sensorId, value: encodeV2(reading) })));
    await sleep(Math.max(0, firstDown + OUTAGE_MS[outage] - Date.now()));
    await bringRegistryBack(outage);
    expect(services.exited('stream-aggregator') ? `stream-aggregator exited during the outage:\n${logs()}` : 'running').toBe('running');
    await waitForCaughtUp(kafka, groupId, topic.topic, 120000, logs);
    expect(await deadLetters()).toEqual([]);

    // A second version of the aggregate contract, and rows of a sensor the readings do not have, written with it.
    const stats = contracts.sensorWindowStatsTopic;
    const statsV2Schema = { ...stats.contract.avroSchema, fields: [...stats.contract.avroSchema.fields, { name: 'producedBy', type: ['null', 'string'], default: null, doc: 'aggregator version (v2)' }] };
    const statsV2Id = await registerAvroSchema(registry, stats.subject, statsV2Schema);
    expect(statsV2Id).not.toBe(await registerAvroSchema(registry, stats.subject, stats.contract.avroSchema));
    const statsV2Type = Type.forSchema(statsV2Schema as Schema);
    const upgradedRows = upgradedAggregatorRows(`reg-${outage}-upgraded`);
    const upgradedRecords = upgradedRows.map((row) => {
      const value = { ...row, windowStart: Date.parse(row.windowStart), windowEnd: Date.parse(row.windowEnd) };
      return { key: contracts.windowRecordKey(row.sensorId, value), value: wireFormat(statsV2Id, statsV2Type.toBuffer({ ...value, producedBy: 'stream-aggregator 2.0' })) };
    });
    const expectedRows = [...expected, ...upgradedRows].sort(byWindow);

    // Outage 2, with the sink running (joined, owning the aggregate topic's partitions).
    await services.start('warehouse-sink');
    await waitForServiceGroup(kafka, `sink-${run.runId}`, stats.topic, stats.partitions, 1, 60000, logs);
    const secondDown = Date.now();
    await takeRegistryDown(outage);
    await publishHeartbeats(kafka, contracts, topic, contracts.END_OF_INPUT);
    await publishEncoded(kafka, stats.topic, upgradedRecords);
    await waitForCaughtUp(kafka, groupId, topic.topic, 60000, logs);
    await waitFor('every aggregate committed while the registry is down', async () => (await readAll(kafka, stats.topic)).length, (count) => count === expectedRows.length, { timeoutMs: 60000, context: logs });
    await sleep(Math.max(0, secondDown + OUTAGE_MS[outage] - Date.now()));
    await bringRegistryBack(outage);
    expect(services.exited('warehouse-sink') ? `warehouse-sink exited during the outage:\n${logs()}` : 'running').toBe('running');
    expect(services.exited('stream-aggregator') ? `stream-aggregator exited during the outage:\n${logs()}` : 'running').toBe('running');

    await withContext(waitForRowCount('iot_sensor_window_stats', () => tableCount(run.warehouseSchema, 'iot_sensor_window_stats'), expectedRows.length, 120000), logs);
    await withContext(waitForRowCount('iot_sensor_alerts', () => tableCount(run.warehouseSchema, 'iot_sensor_alerts'), alerts.length, 60000), logs);
    expect(await warehouseWindows(run.warehouseSchema)).toEqual(expectedRows);
    expect(await warehouseAlerts(run.warehouseSchema)).toEqual(alerts);
    expect(await deadLetters()).toEqual([]);
    expect(await readAll(kafka, contracts.lateEventsTopic.topic)).toHaveLength(0);
  });
});
