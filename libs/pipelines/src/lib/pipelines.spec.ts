import { DOMAINS, TopicNamespace } from '@pipeline/contracts';
import type { ContractValue, sensorReading } from '@pipeline/contracts';
import { clickstreamPipeline, iotPipeline, pipelines, sensorAlerts, transitPipeline } from '../index';

type Reading = ContractValue<typeof sensorReading>;

const reading = (overrides: Partial<Reading> = {}): Reading => ({
  sensorId: 's-1',
  timestamp: 60_000,
  temperature: 21,
  humidity: 50,
  pressure: 1000,
  location: { latitude: 1, longitude: 2 },
  batteryLevel: 0.8,
  ...overrides,
});

describe('IoT alert rules', () => {
  it('raises nothing for a reading inside every limit, limits included', () => {
    expect(sensorAlerts(reading({ temperature: 40, humidity: 90, batteryLevel: 0.2 }))).toEqual([]);
    expect(sensorAlerts(reading({ temperature: 0 }))).toEqual([]);
  });

  it.each([
    [{ temperature: 40.5 }, 'temperature_out_of_range', 'warning', 40],
    [{ temperature: 50.5 }, 'temperature_out_of_range', 'critical', 40],
    [{ temperature: -0.5 }, 'temperature_out_of_range', 'warning', 0],
    [{ temperature: -12 }, 'temperature_out_of_range', 'critical', 0],
    [{ batteryLevel: 0.15 }, 'low_battery', 'warning', 0.2],
    [{ batteryLevel: 0.05 }, 'low_battery', 'critical', 0.2],
    [{ humidity: 92 }, 'high_humidity', 'warning', 90],
    [{ humidity: 96 }, 'high_humidity', 'critical', 90],
  ] as const)('%o raises %s (%s) against %d', (overrides, alertType, severity, threshold) => {
    const [alert, ...others] = sensorAlerts(reading(overrides));
    expect(others).toEqual([]);
    expect(alert).toMatchObject({ alertType, severity, threshold, alertId: `s-1|60000|${alertType}` });
  });

  it('raises one alert per broken rule', () => {
    expect(sensorAlerts(reading({ temperature: 45, humidity: 99, batteryLevel: 0.01 })).map((alert) => alert.alertType)).toEqual([
      'temperature_out_of_range',
      'low_battery',
      'high_humidity',
    ]);
  });
});

describe('pipeline definitions', () => {
  it('registers every domain', () => {
    // DOMAINS, not a list: a domain added by `nx g @pipeline/nx-plugin:domain` must not break this spec.
    expect(Object.keys(pipelines).sort()).toEqual([...DOMAINS].sort());
    expect(DOMAINS).toEqual(expect.arrayContaining(['clickstream', 'iot', 'transit']));
    expect(pipelines.iot.use(TopicNamespace.none, (definition) => definition.windows.map((stage) => stage.name))).toEqual(['iot-sensor-1m', 'iot-sensor-5m-hopping']);
  });

  it('says how long after its end a window closes (grace + maxOutOfOrderness)', () => {
    expect(iotPipeline.resolve(TopicNamespace.none).windows.map((stage) => stage.closeDelayMs)).toEqual([15_000, 15_000]);
    expect(clickstreamPipeline.resolve(TopicNamespace.none).windows.map((stage) => stage.closeDelayMs)).toEqual([15_000]);
    expect(transitPipeline.resolve(TopicNamespace.none).windows.map((stage) => stage.closeDelayMs)).toEqual([90_000, 90_000]);
  });

  it('turns closed IoT windows into contract records keyed by sensor, window start and size', () => {
    const engine = iotPipeline.resolve(TopicNamespace.none).windows[0]?.createEngine();
    if (!engine) throw new Error('no 1-minute stage');
    engine.process(0, [reading({ timestamp: 60_000, temperature: 20 }), reading({ timestamp: 70_000, temperature: 22 })]);
    const { records } = engine.advance(0, 200_000);
    expect(records).toHaveLength(1);
    expect(records[0]?.key).toBe('s-1|1970-01-01T00:01:00.000Z|1m');
    expect(records[0]?.value).toMatchObject({ sensorId: 's-1', windowStart: 60_000, windowEnd: 120_000, windowMinutes: 1, readingCount: 2, avgTemperature: 21, temperatureTrend: 'increasing' });
    expect(() => iotPipeline.resolve(TopicNamespace.none).windows[0]?.output.binding.validate(records[0]?.value)).not.toThrow();
  });

  it('computes clickstream revenue in cents, distinct sessions and conversion', () => {
    const engine = clickstreamPipeline.resolve(TopicNamespace.none).windows[0]?.createEngine();
    if (!engine) throw new Error('no clickstream stage');
    const click = (eventType: 'add_to_cart' | 'purchase' | 'page_view', sessionId: string, price: number) => ({
      eventId: `${eventType}-${sessionId}-${price}`,
      sessionId,
      customerId: 'c',
      eventType,
      productId: 'p',
      category: 'books',
      price,
      timestamp: 1000,
    });
    engine.process(0, [click('add_to_cart', 'a', 0.1), click('add_to_cart', 'b', 0.2), click('purchase', 'a', 0.1), click('purchase', 'b', 0.2), click('page_view', 'c', 9.99)]);
    const { records } = engine.advance(0, 200_000);
    expect(records[0]?.value).toMatchObject({ eventCount: 5, purchases: 2, addToCarts: 2, distinctSessions: 3, revenue: 0.3, cartToPurchaseConversion: 1 });
  });

  it('closes transit windows of 4 hours and 15 minutes', () => {
    expect(transitPipeline.resolve(TopicNamespace.none).windows.map((stage) => stage.name)).toEqual(['transit-station-4h', 'transit-station-15m']);
  });
});
