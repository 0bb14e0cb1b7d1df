/**
 * IoT sensors end to end: readings → Kafka → stream-aggregator (1-minute tumbling and
 * 5-minute hopping windows, alerts) → Kafka → warehouse-sink → PostgreSQL, against the
 * real broker, registry and database, with out-of-order and late readings.
 */
import { isolatedRun, runEnvironment } from './support/run-environment';
import { contractsFor, type ContractsModule } from './support/contracts-module';
import { PipelineServices } from './support/pipeline-services';
import { header, publishEvents, publishHeartbeats, readAll, testKafka } from './support/kafka-io';
import { queryRows, waitForRowCount } from './support/warehouse-rows';
import { asIso, windowCells } from './support/reference';
import { feedPipeline, SCENARIOS, tableCount } from './support/scenario';
import { byWindow, windowRow, type Reading } from './support/iot-workload';

const BASE = Date.UTC(2024, 0, 15, 10, 0, 0);
const MINUTE = 60_000;
const round2 = (value: number) => Math.round(value * 100) / 100;

/** 6 sensors, a reading every 10 s for 20 minutes, sent up to 4 s out of order (inside the 5 s bound). */
function onTimeReadings(): Reading[] {
  const readings: { reading: Reading; sendKey: number }[] = [];
  for (let i = 0; i < 120; i += 1) {
    for (let j = 0; j < 6; j += 1) {
      const timestamp = BASE + i * 10_000 + j * 1000;
      const spike = (i * 13 + j * 7) % 53 === 0;
      readings.push({
        sendKey: timestamp + ((i * 7 + j * 3) % 5) * 1000,
        reading: {
          sensorId: `sensor-${j + 1}`,
          timestamp,
          temperature: spike ? (j % 2 === 0 ? 42.5 : -3.25) : round2(22 + 12 * Math.sin(i / 11 + j)),
          humidity: round2(60 + 32 * Math.sin(i / 9 + j * 1.3)),
          pressure: round2(1000 + 15 * Math.cos(i / 13 + j)),
          location: { latitude: 52 + j / 100, longitude: 13 + j / 100 },
          batteryLevel: j === 5 ? round2(0.95 - i * 0.007) : 0.9,
        },
      });
    }
  }
  return readings.sort((a, b) => a.sendKey - b.sendKey || a.reading.sensorId.localeCompare(b.reading.sensorId)).map((entry) => entry.reading);
}

/** Readings for minute 1, sent after the stream has passed minute 12: late for every window that holds them. */
const lateReadings: Reading[] = [0, 1, 2, 3].map((j) => ({
  sensorId: `sensor-${j + 1}`,
  timestamp: BASE + 90_000 + j * 1000,
  temperature: 20,
  humidity: 50,
  pressure: 1000,
  location: { latitude: 52, longitude: 13 },
  batteryLevel: 0.9,
}));

function expectedStats(readings: readonly Reading[], sizeMs: number, advanceMs: number) {
  return [...windowCells(readings, (r) => r.sensorId, (r) => r.timestamp, sizeMs, advanceMs).values()]
    .map(({ key, windowStart, events }) => windowRow(key, windowStart, sizeMs, events))
    .sort(byWindow);
}

/** The seed's alert rules, restated: temperature outside [0, 40] °C, battery < 0.2, humidity > 90 %. */
function expectedAlerts(readings: readonly Reading[]) {
  const alerts: { alertId: string; alertType: string; severity: string }[] = [];
  for (const r of readings) {
    if (r.temperature < 0 || r.temperature > 40) alerts.push({ alertId: `${r.sensorId}|${r.timestamp}|temperature_out_of_range`, alertType: 'temperature_out_of_range', severity: r.temperature > 50 || r.temperature < -10 ? 'critical' : 'warning' });
    if (r.batteryLevel < 0.2) alerts.push({ alertId: `${r.sensorId}|${r.timestamp}|low_battery`, alertType: 'low_battery', severity: r.batteryLevel < 0.1 ? 'critical' : 'warning' });
    if (r.humidity > 90) alerts.push({ alertId: `${r.sensorId}|${r.timestamp}|high_humidity`, alertType: 'high_humidity', severity: r.humidity > 95 ? 'critical' : 'warning' });
  }
  return alerts.sort((a, b) => a.alertId.localeCompare(b.alertId));
}

async function warehouseStats(schema: string) {
  const rows = await queryRows(schema, 'SELECT * FROM iot_sensor_window_stats ORDER BY sensor_id, window_minutes, window_start');
  return rows.map((row) => ({
    sensorId: row['sensor_id'],
    windowStart: asIso(row['window_start']),
    windowEnd: asIso(row['window_end']),
    windowMinutes: row['window_minutes'],
    readingCount: Number(row['reading_count']),
    avgTemperature: Number(row['avg_temperature']),
    minTemperature: row['min_temperature'],
    maxTemperature: row['max_temperature'],
    avgHumidity: Number(row['avg_humidity']),
    minHumidity: row['min_humidity'],
    maxHumidity: row['max_humidity'],
    avgPressure: Number(row['avg_pressure']),
    minPressure: row['min_pressure'],
    maxPressure: row['max_pressure'],
    minBatteryLevel: row['min_battery_level'],
    temperatureTrend: row['temperature_trend'],
  }));
}

describe.each(SCENARIOS)('IoT pipeline end to end %s', (_title, interrupted) => {
  const kafka = testKafka();
  let run: ReturnType<typeof isolatedRun>;
  let services: PipelineServices;
  let contracts: ContractsModule;

  beforeAll(async () => {
    run = isolatedRun('iot');
    services = new PipelineServices(runEnvironment(run, 'iot'));
    contracts = contractsFor(run.namespace);
  });
  afterAll(() => services.stopAll());

  it('lands exactly the expected windows and alerts, and counts late readings on the late-events topic', async () => {
    const onTime = onTimeReadings();
    const crossing = (minute: number) => onTime.findIndex((r) => r.timestamp >= BASE + minute * MINUTE);
    const firstPart = onTime.slice(0, crossing(8));
    const secondPart = [...onTime.slice(crossing(8), crossing(12)), ...lateReadings, ...onTime.slice(crossing(12))];
    const topic = contracts.sensorReadingsTopic;

    await feedPipeline({
      services,
      interrupted,
      warehouseSchema: run.warehouseSchema,
      progressTable: 'iot_sensor_window_stats',
      firstPart: () => publishEvents(kafka, contracts, topic, firstPart),
      secondPart: () => publishEvents(kafka, contracts, topic, secondPart),
      finish: () => publishHeartbeats(kafka, contracts, topic, contracts.END_OF_INPUT),
    });

    const expected = [...expectedStats(onTime, MINUTE, MINUTE), ...expectedStats(onTime, 5 * MINUTE, MINUTE)].sort(
      (a, b) => a.sensorId.localeCompare(b.sensorId) || a.windowMinutes - b.windowMinutes || a.windowStart.localeCompare(b.windowStart),
    );
    const alerts = expectedAlerts([...onTime, ...lateReadings]);
    expect(expected).toHaveLength(6 * 20 + 6 * 24);
    expect(alerts.length).toBeGreaterThan(5);

    await waitForRowCount('iot_sensor_window_stats', () => tableCount(run.warehouseSchema, 'iot_sensor_window_stats'), expected.length);
    await waitForRowCount('iot_sensor_alerts', () => tableCount(run.warehouseSchema, 'iot_sensor_alerts'), alerts.length);

    expect(await warehouseStats(run.warehouseSchema)).toEqual(expected);
    const landedAlerts = await queryRows(run.warehouseSchema, 'SELECT alert_id, alert_type, severity FROM iot_sensor_alerts ORDER BY alert_id');
    expect(landedAlerts.map((row) => ({ alertId: row['alert_id'], alertType: row['alert_type'], severity: row['severity'] }))).toEqual(alerts);

    const late = await readAll(kafka, contracts.lateEventsTopic.topic);
    expect(late).toHaveLength(lateReadings.length);
    expect(late.map((record) => header(record, contracts.HEADERS.pipeline))).toEqual(lateReadings.map(() => 'iot'));
  });
});
