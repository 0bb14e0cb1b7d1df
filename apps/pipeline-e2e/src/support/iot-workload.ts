/**
 * IoT workloads of the fault tests and their expected results, recomputed by brute force
 * from the readings (support/reference.ts), with none of the pipeline's code: the windows of
 * the IoT pipeline (1-minute tumbling, 5-minute hopping every minute), its alert rules
 * restated, and readers that turn warehouse rows and topic records into the same shape.
 */
import { isDeepStrictEqual } from 'node:util';
import { createAvroCodec, createSchemaRegistry, type Kafka, type KafkaMessage } from '@pipeline/kafka';
import type { ContractsModule } from './contracts-module';
import { readEach } from './kafka-io';
import { asIso, iso, round6, trendOf, windowCells } from './reference';
import { requiredEnv } from './run-environment';
import { queryRows } from './warehouse-rows';

export type Reading = {
  sensorId: string;
  timestamp: number;
  temperature: number;
  humidity: number;
  pressure: number;
  location: { latitude: number; longitude: number };
  batteryLevel: number;
};

export const MINUTE = 60_000;
export const round2 = (value: number) => Math.round(value * 100) / 100;

/**
 * `sensors` sensors named `<prefix>-<n>`, each reading every `stepMs` for `steps` steps from
 * `start`, sent in event-time order up to 3.2 s out of order (inside the pipeline's 5 s bound,
 * so none is late). Some readings break the alert rules: temperature spikes, a draining battery
 * on every eighth sensor, humidity peaks.
 */
export function sensorReadings(options: { prefix: string; sensors: number; start: number; stepMs: number; steps: number }): Reading[] {
  const { prefix, sensors, start, stepMs, steps } = options;
  const readings: { reading: Reading; sendKey: number }[] = [];
  for (let i = 0; i < steps; i += 1) {
    for (let j = 0; j < sensors; j += 1) {
      const timestamp = start + i * stepMs + (j % 10) * 300;
      const spike = (i * 13 + j * 7) % 53 === 0;
      readings.push({
        sendKey: timestamp + ((i * 7 + j * 3) % 5) * 800,
        reading: {
          sensorId: `${prefix}-${String(j + 1).padStart(3, '0')}`,
          timestamp,
          temperature: spike ? (j % 2 === 0 ? 42.5 : -3.25) : round2(22 + 12 * Math.sin(i / 11 + j)),
          humidity: round2(60 + 32 * Math.sin(i / 9 + j * 1.3)),
          pressure: round2(1000 + 15 * Math.cos(i / 13 + j)),
          location: { latitude: 52 + (j % 50) / 100, longitude: 13 + (j % 50) / 100 },
          batteryLevel: j % 8 === 7 ? Math.max(0, round2(0.95 - i * 0.012)) : 0.9,
        },
      });
    }
  }
  return readings.sort((a, b) => a.sendKey - b.sendKey || a.reading.sensorId.localeCompare(b.reading.sensorId)).map((entry) => entry.reading);
}

/** Cuts readings (in send order) into consecutive parts at the first reading at or after each event time. */
export function splitAt(readings: readonly Reading[], times: readonly number[]): Reading[][] {
  const cuts = times.map((time) => {
    const index = readings.findIndex((reading) => reading.timestamp >= time);
    return index === -1 ? readings.length : index;
  });
  const bounds = [0, ...cuts, readings.length];
  return bounds.slice(1).map((end, part) => readings.slice(bounds[part], end));
}

/** A window row as the warehouse and the aggregate topic both carry it (timestamps as ISO text). */
export interface WindowRow {
  sensorId: string;
  windowStart: string;
  windowEnd: string;
  windowMinutes: number;
  readingCount: number;
  avgTemperature: number;
  minTemperature: number;
  maxTemperature: number;
  avgHumidity: number;
  minHumidity: number;
  maxHumidity: number;
  avgPressure: number;
  minPressure: number;
  maxPressure: number;
  minBatteryLevel: number;
  temperatureTrend: string;
}

export const byWindow = (a: WindowRow, b: WindowRow) => a.sensorId.localeCompare(b.sensorId) || a.windowMinutes - b.windowMinutes || a.windowStart.localeCompare(b.windowStart);

/** The statistics of one window's readings (`readings` in arrival order, for trend ties). */
export function windowRow(sensorId: string, windowStart: number, sizeMs: number, readings: readonly Reading[]): WindowRow {
  const avg = (field: (r: Reading) => number) => round6(readings.reduce((sum, r) => sum + field(r), 0) / readings.length);
  const min = (field: (r: Reading) => number) => readings.reduce((least, r) => Math.min(least, field(r)), Infinity);
  const max = (field: (r: Reading) => number) => readings.reduce((most, r) => Math.max(most, field(r)), -Infinity);
  return {
    sensorId,
    windowStart: iso(windowStart),
    windowEnd: iso(windowStart + sizeMs),
    windowMinutes: sizeMs / MINUTE,
    readingCount: readings.length,
    avgTemperature: avg((r) => r.temperature),
    minTemperature: min((r) => r.temperature),
    maxTemperature: max((r) => r.temperature),
    avgHumidity: avg((r) => r.humidity),
    minHumidity: min((r) => r.humidity),
    maxHumidity: max((r) => r.humidity),
    avgPressure: avg((r) => r.pressure),
    minPressure: min((r) => r.pressure),
    maxPressure: max((r) => r.pressure),
    minBatteryLevel: min((r) => r.batteryLevel),
    temperatureTrend: trendOf(readings, (r) => r.timestamp, (r) => r.temperature, 0.5),
  };
}

/** Every window of the IoT pipeline over these (on-time) readings: 1-minute tumbling and 5-minute hopping by 1 minute. */
export function expectedWindows(readings: readonly Reading[]): WindowRow[] {
  const rows: WindowRow[] = [];
  for (const [sizeMs, advanceMs] of [
    [MINUTE, MINUTE],
    [5 * MINUTE, MINUTE],
  ] as const) {
    for (const { key, windowStart, events } of windowCells(readings, (r) => r.sensorId, (r) => r.timestamp, sizeMs, advanceMs).values()) {
      rows.push(windowRow(key, windowStart, sizeMs, events));
    }
  }
  return rows.sort(byWindow);
}

export interface AlertRow {
  alertId: string;
  alertType: string;
  severity: string;
}

/** The seed's alert rules, restated: temperature outside [0, 40] °C, battery < 0.2, humidity > 90 %. */
export function expectedAlerts(readings: readonly Reading[]): AlertRow[] {
  const alerts: AlertRow[] = [];
  for (const r of readings) {
    if (r.temperature < 0 || r.temperature > 40) alerts.push({ alertId: `${r.sensorId}|${r.timestamp}|temperature_out_of_range`, alertType: 'temperature_out_of_range', severity: r.temperature > 50 || r.temperature < -10 ? 'critical' : 'warning' });
    if (r.batteryLevel < 0.2) alerts.push({ alertId: `${r.sensorId}|${r.timestamp}|low_battery`, alertType: 'low_battery', severity: r.batteryLevel < 0.1 ? 'critical' : 'warning' });
    if (r.humidity > 90) alerts.push({ alertId: `${r.sensorId}|${r.timestamp}|high_humidity`, alertType: 'high_humidity', severity: r.humidity > 95 ? 'critical' : 'warning' });
  }
  return alerts.sort((a, b) => a.alertId.localeCompare(b.alertId));
}

export async function warehouseWindows(schema: string): Promise<WindowRow[]> {
  const rows = await queryRows(schema, 'SELECT * FROM iot_sensor_window_stats');
  return rows
    .map((row) => ({
      sensorId: String(row['sensor_id']),
      windowStart: asIso(row['window_start']),
      windowEnd: asIso(row['window_end']),
      windowMinutes: Number(row['window_minutes']),
      readingCount: Number(row['reading_count']),
      avgTemperature: Number(row['avg_temperature']),
      minTemperature: Number(row['min_temperature']),
      maxTemperature: Number(row['max_temperature']),
      avgHumidity: Number(row['avg_humidity']),
      minHumidity: Number(row['min_humidity']),
      maxHumidity: Number(row['max_humidity']),
      avgPressure: Number(row['avg_pressure']),
      minPressure: Number(row['min_pressure']),
      maxPressure: Number(row['max_pressure']),
      minBatteryLevel: Number(row['min_battery_level']),
      temperatureTrend: String(row['temperature_trend']),
    }))
    .sort(byWindow);
}

export async function warehouseAlerts(schema: string): Promise<AlertRow[]> {
  const rows = await queryRows(schema, 'SELECT alert_id, alert_type, severity FROM iot_sensor_alerts ORDER BY alert_id');
  return rows.map((row) => ({ alertId: String(row['alert_id']), alertType: String(row['alert_type']), severity: String(row['severity']) }));
}

/** One committed record of an output topic: its key, partition and offset, and its decoded value. */
export interface TopicRecord<T> {
  key: string;
  partition: number;
  offset: string;
  value: T;
}

/** Every committed record of the window-stats topic (read-committed), decoded through the registry. */
export async function committedWindowRecords(kafka: Kafka, contracts: ContractsModule): Promise<TopicRecord<WindowRow>[]> {
  const codec = await createAvroCodec(createSchemaRegistry(requiredEnv('SCHEMA_REGISTRY_URL')), contracts.avroBindingOf(contracts.sensorWindowStatsTopic));
  const records: TopicRecord<WindowRow>[] = [];
  for (const { record, partition } of await readWithPartitions(kafka, contracts.sensorWindowStatsTopic.topic)) {
    if (!record.value) throw new Error(`a record without a value at ${partition}/${record.offset}`);
    const stats = await codec.decode(record.value);
    records.push({ key: record.key?.toString() ?? '', partition, offset: record.offset, value: { ...stats, windowStart: iso(stats.windowStart), windowEnd: iso(stats.windowEnd) } });
  }
  return records;
}

/** Every committed record of the alerts topic, decoded (alert id, type and severity). */
export async function committedAlertRecords(kafka: Kafka, contracts: ContractsModule): Promise<TopicRecord<AlertRow>[]> {
  const codec = await createAvroCodec(createSchemaRegistry(requiredEnv('SCHEMA_REGISTRY_URL')), contracts.avroBindingOf(contracts.sensorAlertsTopic));
  const records: TopicRecord<AlertRow>[] = [];
  for (const { record, partition } of await readWithPartitions(kafka, contracts.sensorAlertsTopic.topic)) {
    if (!record.value) throw new Error(`a record without a value at ${partition}/${record.offset}`);
    const alert = await codec.decode(record.value);
    records.push({ key: record.key?.toString() ?? '', partition, offset: record.offset, value: { alertId: alert.alertId, alertType: alert.alertType, severity: alert.severity } });
  }
  return records;
}

async function readWithPartitions(kafka: Kafka, topic: string): Promise<{ record: KafkaMessage; partition: number }[]> {
  const records: { record: KafkaMessage; partition: number }[] = [];
  await readEach(kafka, topic, (record, partition) => records.push({ record, partition }));
  return records;
}

/** How many, and the first few of them (a failure shows counts, not thousands of records). */
export interface Findings {
  count: number;
  examples: string[];
}

const findings = (items: readonly string[]): Findings => ({ count: items.length, examples: items.slice(0, 6) });

/**
 * Committed records against the expected value of each key: keys committed more than once,
 * expected keys never committed, keys nobody expected, and records whose value is not the
 * expected one for their key. All four are empty when the topic holds exactly one right record per key.
 */
export function compareByKey<T>(records: readonly TopicRecord<T>[], expected: ReadonlyMap<string, T>): { records: number; duplicated: Findings; missing: Findings; unexpected: Findings; wrongValue: Findings } {
  const counts = new Map<string, number>();
  for (const { key } of records) counts.set(key, (counts.get(key) ?? 0) + 1);
  return {
    records: records.length,
    duplicated: findings([...counts].filter(([, count]) => count > 1).map(([key, count]) => `${key} ×${count}`)),
    missing: findings([...expected.keys()].filter((key) => !counts.has(key))),
    unexpected: findings([...counts.keys()].filter((key) => !expected.has(key))),
    wrongValue: findings(
      records.filter((record) => expected.has(record.key) && !isDeepStrictEqual(record.value, expected.get(record.key))).map((record) => `${record.key} at ${record.partition}/${record.offset}: ${JSON.stringify(record.value)}`),
    ),
  };
}

/** What compareByKey says of a topic holding exactly one right record per expected key. */
export function exactlyOnePerKey(expectedRecords: number) {
  const none: Findings = { count: 0, examples: [] };
  return { records: expectedRecords, duplicated: none, missing: none, unexpected: none, wrongValue: none };
}
