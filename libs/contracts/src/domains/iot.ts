import { defineContract } from '../lib/contract';
import { field } from '../lib/fields';
import { defineTopic } from '../lib/topic';
import { defineWarehouseTable } from '../lib/warehouse-table';
import { ID_LENGTH, windowFields, windowRecordKey } from './window-fields';

/** The domain's ranges, shared by readings and their aggregates (an average or minimum stays inside). */
const TEMPERATURE = { min: -100, max: 200 } as const;
const HUMIDITY = { min: 0, max: 100 } as const;
/** hPa: sea level is about 1013; 2000 leaves room for pressurised enclosures, not for 1e308. */
const PRESSURE = { min: 0, max: 2000 } as const;
const BATTERY = { min: 0, max: 1 } as const;

export const sensorReading = defineContract({
  name: 'SensorReading',
  namespace: 'pipeline.iot',
  doc: 'One reading of an IoT environment sensor.',
  fields: {
    sensorId: field.string({ maxLength: ID_LENGTH }),
    timestamp: field.timestamp('event time of the reading'),
    temperature: field.double({ ...TEMPERATURE, doc: 'degrees Celsius' }),
    humidity: field.double({ ...HUMIDITY, doc: 'relative humidity, percent' }),
    pressure: field.double({ ...PRESSURE, doc: 'hPa' }),
    location: field.record('GeoLocation', {
      latitude: field.double({ min: -90, max: 90 }),
      longitude: field.double({ min: -180, max: 180 }),
    }),
    batteryLevel: field.double({ ...BATTERY, doc: 'fraction of full charge' }),
  },
});

export const sensorWindowStats = defineContract({
  name: 'SensorWindowStats',
  namespace: 'pipeline.iot',
  doc: 'Per-sensor statistics over an event-time window.',
  fields: {
    sensorId: field.string({ maxLength: ID_LENGTH }),
    ...windowFields,
    readingCount: field.long({ min: 0 }),
    avgTemperature: field.measure(6, TEMPERATURE),
    minTemperature: field.double(TEMPERATURE),
    maxTemperature: field.double(TEMPERATURE),
    avgHumidity: field.measure(6, HUMIDITY),
    minHumidity: field.double(HUMIDITY),
    maxHumidity: field.double(HUMIDITY),
    avgPressure: field.measure(6, PRESSURE),
    minPressure: field.double(PRESSURE),
    maxPressure: field.double(PRESSURE),
    minBatteryLevel: field.double(BATTERY),
    temperatureTrend: field.enumOf('Trend', ['increasing', 'decreasing', 'stable'], 'first vs last temperature of the window'),
  },
});

export const sensorAlert = defineContract({
  name: 'SensorAlert',
  namespace: 'pipeline.iot',
  doc: 'A reading that broke an alert rule.',
  fields: {
    // sensor id (ID_LENGTH) + '|' + epoch millis + '|' + rule name fit in twice ID_LENGTH.
    alertId: field.string({ maxLength: 2 * ID_LENGTH, doc: 'sensor, reading time and rule: stable across replays' }),
    sensorId: field.string({ maxLength: ID_LENGTH }),
    timestamp: field.timestamp('event time of the reading'),
    alertType: field.enumOf('SensorAlertType', ['temperature_out_of_range', 'low_battery', 'high_humidity']),
    severity: field.enumOf('AlertSeverity', ['warning', 'critical']),
    // Every rule's reading lies within the widest reading range (temperature's).
    value: field.double({ ...TEMPERATURE, doc: 'the offending reading' }),
    threshold: field.double({ ...TEMPERATURE, doc: 'the limit it crossed' }),
    message: field.string({ maxLength: 512 }),
  },
});

export const sensorReadingsTopic = defineTopic({ name: 'iot.sensor-readings', partitions: 6, contract: sensorReading, key: (reading) => reading.sensorId });
export const sensorWindowStatsTopic = defineTopic({
  name: 'iot.sensor-window-stats',
  partitions: 3,
  contract: sensorWindowStats,
  key: (stats) => windowRecordKey(stats.sensorId, stats),
});
export const sensorAlertsTopic = defineTopic({ name: 'iot.sensor-alerts', partitions: 3, contract: sensorAlert, key: (alert) => alert.alertId });

export const sensorWindowStatsTable = defineWarehouseTable({
  name: 'iot_sensor_window_stats',
  contract: sensorWindowStats,
  naturalKey: ['sensorId', 'windowStart', 'windowMinutes'],
  indexes: [['windowStart'], ['windowMinutes', 'windowStart']],
  doc: 'IoT sensor statistics per event-time window: 1-minute tumbling (window_minutes = 1) and 5-minute hopping every minute (window_minutes = 5).',
});

export const sensorAlertsTable = defineWarehouseTable({
  name: 'iot_sensor_alerts',
  contract: sensorAlert,
  naturalKey: ['alertId'],
  indexes: [['timestamp'], ['sensorId', 'timestamp']],
  doc: 'IoT sensor alerts: temperature outside [0, 40] C, battery below 20 %, humidity above 90 %.',
});
