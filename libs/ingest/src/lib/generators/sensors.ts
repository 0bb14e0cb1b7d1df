import type { ContractValue, sensorReading } from '@pipeline/contracts';
import { roundTo, SeededRandom } from './seeded-random';
import { timelineOf, type GeneratorOptions } from './timeline';

export type SensorReadingValue = ContractValue<typeof sensorReading>;

/** Alert limits of the aggregator's rules; the generator crosses them now and then. */
export const SENSOR_ALERT_LIMITS = { minTemperature: 0, maxTemperature: 40, minBattery: 0.2, maxHumidity: 90 } as const;

/** How often a reading is an anomaly (the rest drift gently around each sensor's baseline). */
const TEMPERATURE_ANOMALY = 0.01;
const HUMIDITY_ANOMALY = 0.008;

interface Sensor {
  sensorId: string;
  latitude: number;
  longitude: number;
  baseTemperature: number;
  temperature: number;
  humidity: number;
  pressure: number;
  battery: number;
}

function installSensors(random: SeededRandom, count: number): Sensor[] {
  return Array.from({ length: count }, (_, index) => {
    const baseTemperature = random.between(16, 28);
    return {
      sensorId: `sensor-${String(index + 1).padStart(3, '0')}`,
      // Scattered over a city (around Berlin).
      latitude: 52.52 + random.between(-0.15, 0.15),
      longitude: 13.405 + random.between(-0.25, 0.25),
      baseTemperature,
      temperature: baseTemperature,
      humidity: random.between(35, 70),
      pressure: random.between(1005, 1022),
      // Some sensors start near empty, so low-battery alerts show up early.
      battery: random.between(0.15, 1),
    };
  });
}

/** Mean-reverting random walk: readings wander but stay near the baseline. */
function drift(random: SeededRandom, value: number, baseline: number, step: number): number {
  return value + 0.1 * (baseline - value) + random.gaussian(0, step);
}

function nextReading(random: SeededRandom, sensor: Sensor): Omit<SensorReadingValue, 'timestamp'> {
  sensor.temperature = drift(random, sensor.temperature, sensor.baseTemperature, 0.3);
  sensor.humidity = Math.min(88, Math.max(5, drift(random, sensor.humidity, 55, 0.8)));
  sensor.pressure = drift(random, sensor.pressure, 1013, 0.4);
  sensor.battery -= random.between(0.0002, 0.001);
  // A flat battery is swapped for a full one.
  if (sensor.battery < 0.05) sensor.battery = 1;
  let temperature = sensor.temperature;
  if (random.chance(TEMPERATURE_ANOMALY)) temperature = random.chance(0.5) ? random.between(41, 48) : random.between(-8, -0.5);
  const humidity = random.chance(HUMIDITY_ANOMALY) ? random.between(90.5, 99) : sensor.humidity;
  return {
    sensorId: sensor.sensorId,
    temperature: roundTo(temperature, 2),
    humidity: roundTo(humidity, 1),
    pressure: roundTo(sensor.pressure, 1),
    location: { latitude: roundTo(sensor.latitude, 6), longitude: roundTo(sensor.longitude, 6) },
    batteryLevel: roundTo(Math.max(0, sensor.battery), 3),
  };
}

/**
 * IoT environment sensors (the IoT article's producer): `keys` sensors report in turn;
 * values drift around each sensor's baseline and occasionally cross the alert limits
 * (temperature outside [0, 40] °C, humidity above 90 %, battery below 20 %). Endless;
 * bound it with `take`.
 */
export function* sensorReadings(options: GeneratorOptions): Generator<SensorReadingValue> {
  const eventTime = timelineOf(options);
  const random = new SeededRandom(options.seed);
  const sensors = installSensors(random, options.keys);
  for (let index = 0; ; index += 1) {
    const reading = nextReading(random, sensors[index % sensors.length]);
    yield { ...reading, timestamp: eventTime(index) };
  }
}
