import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { clickEvent, DOMAINS, eventTopics } from '@pipeline/contracts';
import { clickstreamCsvLines, isBrokenClickstreamRow } from './clickstream-csv';
import { GENERATORS, take } from './index';
import { SENSOR_ALERT_LIMITS, sensorReadings } from './sensors';
import { clickstreamSessions } from './clickstream';
import { turnstileReports } from './turnstiles';
import { GeneratorOptionsError, type GeneratorOptions } from './timeline';

const START = Date.parse('2024-03-01T08:00:00Z');
const base: GeneratorOptions = { seed: 42, ratePerSecond: 100, keys: 10, startTime: START };

const optionsArbitrary = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  ratePerSecond: fc.integer({ min: 1, max: 10_000 }),
  keys: fc.integer({ min: 1, max: 50 }),
  startTime: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  jitterMs: fc.integer({ min: 0, max: 5_000 }),
  lateFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  lateByMs: fc.integer({ min: 0, max: 600_000 }),
});

describe.each(DOMAINS)('the %s generator', (domain) => {
  const generate: (options: GeneratorOptions) => Iterator<{ timestamp: number }> & Iterable<{ timestamp: number }> = GENERATORS[domain];
  const contract: { parse(value: unknown): unknown } = eventTopics[domain].contract;

  it('reproduces exactly the same stream from the same seed and options', () => {
    fc.assert(
      fc.property(optionsArbitrary, fc.integer({ min: 1, max: 300 }), (options, count) => {
        expect([...take(generate(options), count)]).toEqual([...take(generate(options), count)]);
      }),
      { numRuns: 60 },
    );
  });

  it('gives a different stream for a different seed', () => {
    expect([...take(generate(base), 50)]).not.toEqual([...take(generate({ ...base, seed: 43 }), 50)]);
  });

  it('only produces values that satisfy the contract', () => {
    fc.assert(
      fc.property(optionsArbitrary, (options) => {
        for (const value of take(generate(options), 200)) expect(contract.parse(value)).toEqual(value);
      }),
      { numRuns: 25 },
    );
  });

  it('spaces event times at the rate; jitter only moves them back (bounded), late events by lateByMs, values untouched', () => {
    fc.assert(
      fc.property(optionsArbitrary, (options) => {
        const count = 300;
        const onTime = [...take(generate({ ...options, jitterMs: 0, lateFraction: 0 }), count)];
        const shuffled = [...take(generate(options), count)];
        onTime.forEach((value, index) => {
          expect(value.timestamp).toBe(options.startTime + Math.floor((index * 1000) / options.ratePerSecond));
          const moved = value.timestamp - (shuffled[index]?.timestamp ?? NaN);
          const late = options.lateByMs;
          // Clamped at epoch 0, otherwise moved back by jitter (0..jitterMs), plus lateByMs when late.
          if (shuffled[index]?.timestamp !== 0) expect((moved >= 0 && moved <= options.jitterMs) || (moved >= late && moved <= late + options.jitterMs)).toBe(true);
          expect({ ...shuffled[index], timestamp: 0 }).toEqual({ ...value, timestamp: 0 });
        });
      }),
      { numRuns: 40 },
    );
  });

  it('rejects nonsensical options with every problem named', () => {
    expect(() => generate({ ...base, keys: 0, ratePerSecond: -1 }).next()).toThrow(GeneratorOptionsError);
    expect(() => generate({ ...base, keys: 0, ratePerSecond: -1 }).next()).toThrow('ratePerSecond must be positive (got -1); keys must be a positive integer (got 0)');
  });
});

describe('late events', () => {
  it('make up about the configured fraction', () => {
    const events = [...take(sensorReadings({ ...base, lateFraction: 0.1, lateByMs: 600_000 }), 5_000)];
    const late = events.filter((event, index) => event.timestamp < START + index * 10 - 100_000).length;
    expect(late / events.length).toBeGreaterThan(0.08);
    expect(late / events.length).toBeLessThan(0.12);
  });
});

describe('sensor readings', () => {
  const readings = [...take(sensorReadings(base), 20_000)];

  it('report from each of the configured sensors in turn', () => {
    expect(new Set(readings.map((reading) => reading.sensorId)).size).toBe(10);
    expect(readings.slice(0, 3).map((reading) => reading.sensorId)).toEqual(['sensor-001', 'sensor-002', 'sensor-003']);
  });

  it('occasionally cross each alert limit, mostly stay inside', () => {
    const hot = readings.filter((reading) => reading.temperature > SENSOR_ALERT_LIMITS.maxTemperature).length;
    const frozen = readings.filter((reading) => reading.temperature < SENSOR_ALERT_LIMITS.minTemperature).length;
    const humid = readings.filter((reading) => reading.humidity > SENSOR_ALERT_LIMITS.maxHumidity).length;
    const flat = readings.filter((reading) => reading.batteryLevel < SENSOR_ALERT_LIMITS.minBattery).length;
    for (const crossings of [hot, frozen, humid, flat]) {
      expect(crossings).toBeGreaterThan(0);
      expect(crossings / readings.length).toBeLessThan(0.2);
    }
  });
});

describe('clickstream sessions', () => {
  const events = [...take(clickstreamSessions({ ...base, keys: 20 }), 20_000)];
  const sessions = new Map<string, typeof events>();
  for (const event of events) sessions.set(event.sessionId, [...(sessions.get(event.sessionId) ?? []), event]);

  it('view a product before adding it to the cart, and only check out or buy what is still in the cart', () => {
    for (const session of sessions.values()) {
      const viewed = new Set<string>();
      const cart: string[] = [];
      for (const event of session) {
        if (event.eventType === 'page_view') viewed.add(event.productId);
        if (event.eventType === 'add_to_cart') {
          expect(viewed.has(event.productId)).toBe(true);
          cart.push(event.productId);
        }
        if (event.eventType === 'remove_from_cart') cart.splice(cart.indexOf(event.productId), 1);
        if (event.eventType === 'checkout' || event.eventType === 'purchase') expect(cart).toContain(event.productId);
      }
    }
  });

  it('contain every kind of event, fewer purchases than adds to cart, one customer per session', () => {
    const types = new Map<string, number>();
    for (const event of events) types.set(event.eventType, (types.get(event.eventType) ?? 0) + 1);
    expect([...types.keys()].sort()).toEqual(['add_to_cart', 'checkout', 'page_view', 'purchase', 'remove_from_cart']);
    expect(types.get('purchase') ?? 0).toBeLessThan(types.get('add_to_cart') ?? 0);
    for (const session of sessions.values()) expect(new Set(session.map((event) => event.customerId)).size).toBe(1);
    expect(new Set(events.map((event) => event.eventId)).size).toBe(events.length);
  });
});

describe('turnstile reports', () => {
  it('count more passengers in the morning rush than at night', () => {
    const night = [...take(turnstileReports({ ...base, startTime: Date.parse('2024-03-01T02:00:00Z') }), 2_000)];
    const rush = [...take(turnstileReports({ ...base, startTime: Date.parse('2024-03-01T08:00:00Z') }), 2_000)];
    const entries = (reports: typeof night) => reports.reduce((sum, report) => sum + report.entries, 0);
    expect(entries(rush)).toBeGreaterThan(5 * entries(night));
  });
});

describe('clickstream CSV sample', () => {
  it('is deterministic, and the committed sample is what the generator writes', () => {
    const lines = [...clickstreamCsvLines({ rows: 400, invalidEvery: 40 })];
    expect([...clickstreamCsvLines({ rows: 400, invalidEvery: 40 })]).toEqual(lines);
    expect(readFileSync(join(__dirname, '../../../sample/clickstream-sample.csv'), 'utf8')).toBe(lines.join(''));
  });

  it('breaks exactly the announced rows, each so the contract rejects it', () => {
    const [header = '', ...rows] = [...clickstreamCsvLines({ rows: 200, invalidEvery: 20 })].map((line) => line.trimEnd());
    const columns = header.split(',');
    rows.forEach((row, index) => {
      const cells = row.split(',');
      const parse = () => clickEvent.parseText(Object.fromEntries(columns.map((column, at) => [column, cells[at]])));
      if (isBrokenClickstreamRow(index + 1, 20)) expect(parse).toThrow();
      else expect(parse).not.toThrow();
    });
  });
});
