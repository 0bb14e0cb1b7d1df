/**
 * Many keys through the stream-aggregator service (no sink): 120,000 distinct sensors, each with
 * one reading in minute 0 and one in minute 1, then end-of-input heartbeats. The aggregate topic,
 * read committed, must hold exactly every window of every sensor, once, with the values
 * recomputed from the two readings: 2 one-minute windows and 6 five-minute hopping windows per
 * sensor, 960,000 records. They are checked as they are read (a slot per sensor and window), and a
 * failure reports counts and a few examples, never the whole set.
 */
import { Type, type Schema } from 'avsc';
import { createSchemaRegistry, registerAvroSchema } from '@pipeline/kafka';
import { isolatedRun, requiredEnv, runEnvironment } from './support/run-environment';
import { contractsFor, type ContractsModule } from './support/contracts-module';
import { PipelineServices } from './support/pipeline-services';
import { publishEvents, publishHeartbeats, readAll, readEach, testKafka } from './support/kafka-io';
import { waitForCaughtUp, waitForServiceGroup } from './support/consumer-group';
import { iso } from './support/reference';
import { MINUTE, round2, windowRow, type Reading, type WindowRow } from './support/iot-workload';

const BASE = Date.UTC(2024, 10, 5, 12, 0, 0);
const SENSORS = 120_000;
/** Per sensor: the 1-minute windows of minutes 0 and 1, then the 5-minute windows starting at minutes -4 … 1. */
const SLOTS = 8;
const FIVE_MINUTE_STARTS = [-4, -3, -2, -1, 0, 1];

const sensorIdOf = (index: number) => `k${String(index).padStart(6, '0')}`;

/** Sensor `index`'s reading in `minute` (0 or 1): inside every alert limit, a 0.7 °C rise between the two. */
function readingOf(index: number, minute: number): Reading {
  return {
    sensorId: sensorIdOf(index),
    timestamp: BASE + minute * MINUTE + (index % 50) * 1000,
    temperature: round2(10 + (index % 200) / 10 + minute * 0.7),
    humidity: round2(30 + (index % 50) + minute * 1.5),
    pressure: round2(990 + (index % 30) + minute * 0.25),
    location: { latitude: 40 + (index % 90) / 10, longitude: (index % 180) / 10 },
    batteryLevel: round2(0.5 + (index % 40) / 100 - minute * 0.01),
  };
}

/** The slot of a window, or undefined for a window no sensor should have. */
function slotOf(windowStart: number, windowMinutes: number): number | undefined {
  const minute = (windowStart - BASE) / MINUTE;
  if (windowMinutes === 1 && (minute === 0 || minute === 1)) return minute;
  const hop = FIVE_MINUTE_STARTS.indexOf(minute);
  return windowMinutes === 5 && hop !== -1 ? 2 + hop : undefined;
}

function windowOfSlot(slot: number): { start: number; sizeMs: number } {
  return slot < 2 ? { start: BASE + slot * MINUTE, sizeMs: MINUTE } : { start: BASE + (FIVE_MINUTE_STARTS[slot - 2] ?? 0) * MINUTE, sizeMs: 5 * MINUTE };
}

/** The expected row of a sensor's window, from the reference model over its two readings. */
function expectedRow(index: number, slot: number): WindowRow {
  const { start, sizeMs } = windowOfSlot(slot);
  const inside = [readingOf(index, 0), readingOf(index, 1)].filter((reading) => reading.timestamp >= start && reading.timestamp < start + sizeMs);
  return windowRow(sensorIdOf(index), start, sizeMs, inside);
}

const FIELDS: readonly (keyof WindowRow)[] = ['sensorId', 'windowStart', 'windowEnd', 'windowMinutes', 'readingCount', 'avgTemperature', 'minTemperature', 'maxTemperature', 'avgHumidity', 'minHumidity', 'maxHumidity', 'avgPressure', 'minPressure', 'maxPressure', 'minBatteryLevel', 'temperatureTrend'];

describe('stream-aggregator with 120,000 distinct sensor keys', () => {
  const kafka = testKafka();
  let run: ReturnType<typeof isolatedRun>;
  let services: PipelineServices;
  let contracts: ContractsModule;

  beforeAll(async () => {
    run = isolatedRun('many-keys');
    services = new PipelineServices(runEnvironment(run, 'iot'));
    contracts = contractsFor(run.namespace);
  });
  afterAll(() => services.stopAll());

  it('commits exactly one record per sensor and window, with the expected values', async () => {
    const topic = contracts.sensorReadingsTopic;
    const output = contracts.sensorWindowStatsTopic;
    // Every sensor's minute-0 reading, then every sensor's minute-1 reading (each within the 5 s bound of its minute's order).
    const readings: Reading[] = [];
    for (const minute of [0, 1]) for (let index = 0; index < SENSORS; index += 1) readings.push(readingOf(index, minute));
    const aggregatorLog = () => `stream-aggregator log:\n${services.logTail('stream-aggregator')}`;

    await services.start('stream-aggregator');
    const groupId = await waitForServiceGroup(kafka, `aggregator-${run.runId}`, topic.topic, topic.partitions, 1, 60000, aggregatorLog);
    await publishEvents(kafka, contracts, topic, readings, { batchSize: 4000 });
    await publishHeartbeats(kafka, contracts, topic, contracts.END_OF_INPUT);
    // Correctness, not speed, is under test: a slow aggregator may take its time as long as it keeps committing.
    await waitForCaughtUp(kafka, groupId, topic.topic, 240000, aggregatorLog, 120000);

    // The aggregator writes with the contract's own schema: decode with it, checking the writer id.
    const schemaId = await registerAvroSchema(createSchemaRegistry(requiredEnv('SCHEMA_REGISTRY_URL')), output.subject, output.contract.avroSchema);
    const type = Type.forSchema(output.contract.avroSchema as Schema, { omitRecordMethods: true });
    const seen = new Uint8Array(SENSORS * SLOTS);
    const tally = { records: 0, duplicates: 0, unexpected: 0, mismatched: 0, missing: 0 };
    const examples: string[] = [];
    const note = (text: string) => {
      if (examples.length < 8) examples.push(text);
    };
    await readEach(kafka, output.topic, (record, partition) => {
      tally.records += 1;
      const where = `${partition}/${record.offset}`;
      if (!record.value || record.value[0] !== 0 || record.value.readInt32BE(1) !== schemaId) {
        tally.unexpected += 1;
        return note(`${where}: not written with schema ${schemaId}`);
      }
      const stats = output.contract.parse(type.fromBuffer(record.value.subarray(5)));
      const index = /^k\d{6}$/.test(stats.sensorId) ? Number(stats.sensorId.slice(1)) : SENSORS;
      const slot = slotOf(stats.windowStart, stats.windowMinutes);
      const key = record.key?.toString();
      if (index >= SENSORS || slot === undefined || key !== contracts.windowRecordKey(stats.sensorId, stats)) {
        tally.unexpected += 1;
        return note(`${where}: unexpected ${key} = ${stats.sensorId} ${iso(stats.windowStart)} ${stats.windowMinutes}m`);
      }
      const cell = index * SLOTS + slot;
      if (seen[cell] === 1) {
        tally.duplicates += 1;
        return note(`${where}: duplicate ${key}`);
      }
      seen[cell] = 1;
      const actual: WindowRow = { ...stats, windowStart: iso(stats.windowStart), windowEnd: iso(stats.windowEnd) };
      const wanted = expectedRow(index, slot);
      const wrong = FIELDS.filter((field) => actual[field] !== wanted[field]);
      if (wrong.length > 0) {
        tally.mismatched += 1;
        note(`${where}: ${key}: ${wrong.map((field) => `${field} ${String(actual[field])} (expected ${String(wanted[field])})`).join(', ')}`);
      }
    });
    for (let cell = 0; cell < seen.length; cell += 1) {
      if (seen[cell] === 1) continue;
      tally.missing += 1;
      const { start, sizeMs } = windowOfSlot(cell % SLOTS);
      note(`missing ${contracts.windowRecordKey(sensorIdOf(Math.floor(cell / SLOTS)), { windowStart: start, windowMinutes: sizeMs / MINUTE })}`);
    }

    expect({ ...tally, examples }).toEqual({ records: SENSORS * SLOTS, duplicates: 0, unexpected: 0, mismatched: 0, missing: 0, examples: [] });
    expect(await readAll(kafka, contracts.lateEventsTopic.topic)).toHaveLength(0);
    expect(await readAll(kafka, contracts.deadLetterTopic.topic)).toHaveLength(0);
    expect(await readAll(kafka, contracts.sensorAlertsTopic.topic)).toHaveLength(0);
  }, 420000);
});
