import { sensorAlertsTopic, sensorReadingsTopic, sensorWindowStatsTopic, type ContractValue, type sensorAlert, type sensorReading } from '@pipeline/contracts';
import { avg, count, hopping, max, min, trend, tumbling, type WindowSpec } from '@pipeline/windowing';
import { definePipeline, eventStage, roundTo, windowedStage } from '../lib/stages';

type Reading = ContractValue<typeof sensorReading>;
type Alert = ContractValue<typeof sensorAlert>;

const sensorStats = (name: string, window: WindowSpec) =>
  windowedStage({
    name,
    window,
    key: (reading: Reading) => reading.sensorId,
    eventTime: (reading) => reading.timestamp,
    watermark: { maxOutOfOrderness: '5s' },
    aggregates: {
      readings: count(),
      avgTemperature: avg((reading: Reading) => reading.temperature),
      minTemperature: min((reading: Reading) => reading.temperature),
      maxTemperature: max((reading: Reading) => reading.temperature),
      avgHumidity: avg((reading: Reading) => reading.humidity),
      minHumidity: min((reading: Reading) => reading.humidity),
      maxHumidity: max((reading: Reading) => reading.humidity),
      avgPressure: avg((reading: Reading) => reading.pressure),
      minPressure: min((reading: Reading) => reading.pressure),
      maxPressure: max((reading: Reading) => reading.pressure),
      minBatteryLevel: min((reading: Reading) => reading.batteryLevel),
      // Changes under half a degree between first and last reading count as stable.
      temperatureTrend: trend((reading: Reading) => reading.temperature, { tolerance: 0.5 }),
    },
    output: sensorWindowStatsTopic,
    toRecord: (sensorId, window, values) => ({
      sensorId,
      ...window,
      readingCount: values.readings,
      avgTemperature: roundTo(6, values.avgTemperature),
      minTemperature: values.minTemperature,
      maxTemperature: values.maxTemperature,
      avgHumidity: roundTo(6, values.avgHumidity),
      minHumidity: values.minHumidity,
      maxHumidity: values.maxHumidity,
      avgPressure: roundTo(6, values.avgPressure),
      minPressure: values.minPressure,
      maxPressure: values.maxPressure,
      minBatteryLevel: values.minBatteryLevel,
      temperatureTrend: values.temperatureTrend,
    }),
  });

/** Alert limits of the IoT domain (the seed's rules), each with a critical band beyond the warning. */
export const SENSOR_ALERT_RULES = {
  temperature: { low: 0, high: 40, criticalLow: -10, criticalHigh: 50 },
  battery: { below: 0.2, criticalBelow: 0.1 },
  humidity: { above: 90, criticalAbove: 95 },
} as const;

/** The alerts one reading raises (pure; the alert id is stable so replays overwrite). */
export function sensorAlerts(reading: Reading): Alert[] {
  const alerts: Alert[] = [];
  const raise = (alertType: Alert['alertType'], critical: boolean, value: number, threshold: number, message: string) =>
    alerts.push({
      alertId: `${reading.sensorId}|${reading.timestamp}|${alertType}`,
      sensorId: reading.sensorId,
      timestamp: reading.timestamp,
      alertType,
      severity: critical ? 'critical' : 'warning',
      value,
      threshold,
      message,
    });
  const { temperature, battery, humidity } = SENSOR_ALERT_RULES;
  if (reading.temperature < temperature.low || reading.temperature > temperature.high) {
    const tooHot = reading.temperature > temperature.high;
    const critical = tooHot ? reading.temperature > temperature.criticalHigh : reading.temperature < temperature.criticalLow;
    const threshold = tooHot ? temperature.high : temperature.low;
    raise('temperature_out_of_range', critical, reading.temperature, threshold, `temperature ${reading.temperature} °C is ${tooHot ? 'above' : 'below'} ${threshold} °C`);
  }
  if (reading.batteryLevel < battery.below) {
    raise('low_battery', reading.batteryLevel < battery.criticalBelow, reading.batteryLevel, battery.below, `battery at ${Math.round(reading.batteryLevel * 100)} % is below ${battery.below * 100} %`);
  }
  if (reading.humidity > humidity.above) {
    raise('high_humidity', reading.humidity > humidity.criticalAbove, reading.humidity, humidity.above, `humidity ${reading.humidity} % is above ${humidity.above} %`);
  }
  return alerts;
}

export const iotPipeline = definePipeline({
  name: 'iot',
  input: sensorReadingsTopic,
  windows: [sensorStats('iot-sensor-1m', tumbling('1m').grace('10s')), sensorStats('iot-sensor-5m-hopping', hopping('5m', '1m').grace('10s'))],
  events: [eventStage({ name: 'iot-sensor-alerts', output: sensorAlertsTopic, derive: sensorAlerts })],
});
