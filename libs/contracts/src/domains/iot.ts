import { defineContract } from '../lib/contract';
import { field } from '../lib/fields';
import { defineTopic } from '../lib/topic';
import { defineWarehouseTable } from '../lib/warehouse-table';
import { windowFields, windowRecordKey } from './window-fields';

export const sensorReading = defineContract({
  name: 'SensorReading',
  namespace: 'pipeline.iot',
  doc: 'One reading of an IoT environment sensor.',
  fields: {
    sensorId: field.string(),
    timestamp: field.timestamp('event time of the reading'),
    temperature: field.double({ min: -100, max: 200, doc: 'degrees Celsius' }),
    humidity: field.double({ min: 0, max: 100, doc: 'relative humidity, percent' }),
    pressure: field.double({ min: 0, doc: 'hPa' }),
    location: field.record('GeoLocation', {
      latitude: field.double({ min: -90, max: 90 }),
      longitude: field.double({ min: -180, max: 180 }),
    }),
    batteryLevel: field.double({ min: 0, max: 1, doc: 'fraction of full charge, 0..1' }),
  },
});

export const sensorWindowStats = defineContract({
  name: 'SensorWindowStats',
  namespace: 'pipeline.iot',
  doc: 'Per-sensor statistics over an event-time window.',
  fields: {
    sensorId: field.string(),
    ...windowFields,
    readingCount: field.long({ min: 0 }),
    avgTemperature: field.measure(6),
    minTemperature: field.double(),
    maxTemperature: field.double(),
    avgHumidity: field.measure(6),
    minHumidity: field.double(),
    maxHumidity: field.double(),
    avgPressure: field.measure(6),
    minPressure: field.double(),
    maxPressure: field.double(),
    minBatteryLevel: field.double(),
    temperatureTrend: field.enumOf('Trend', ['increasing', 'decreasing', 'stable'], 'first vs last temperature of the window'),
  },
});

export const sensorAlert = defineContract({
  name: 'SensorAlert',
  namespace: 'pipeline.iot',
  doc: 'A reading that broke an alert rule.',
  fields: {
    alertId: field.string({ doc: 'sensor, reading time and rule: stable across replays' }),
    sensorId: field.string(),
    timestamp: field.timestamp('event time of the reading'),
    alertType: field.enumOf('SensorAlertType', ['temperature_out_of_range', 'low_battery', 'high_humidity']),
    severity: field.enumOf('AlertSeverity', ['warning', 'critical']),
    value: field.double({ doc: 'the offending reading' }),
    threshold: field.double({ doc: 'the limit it crossed' }),
    message: field.string(),
  },
});

export const sensorReadingsTopic = defineTopic({ topic: 'iot.sensor-readings', partitions: 6, contract: sensorReading, key: (reading) => reading.sensorId });
export const sensorWindowStatsTopic = defineTopic({
  topic: 'iot.sensor-window-stats',
  partitions: 3,
  contract: sensorWindowStats,
  key: (stats) => windowRecordKey(stats.sensorId, stats),
});
export const sensorAlertsTopic = defineTopic({ topic: 'iot.sensor-alerts', partitions: 3, contract: sensorAlert, key: (alert) => alert.alertId });

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
