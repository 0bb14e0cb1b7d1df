import { Type } from 'avsc';
import {
  categoryWindowStats,
  categoryWindowStatsTable,
  clickEvent,
  ContractViolationError,
  sensorAlert,
  sensorAlertsTable,
  sensorReading,
  sensorWindowStats,
  sensorWindowStatsTable,
  stationWindowStats,
  stationWindowStatsTable,
  turnstileEvent,
  type AvroField,
  type Contract,
  type FieldShape,
} from '../index';

const window = { windowStart: 1_700_000_040_000, windowEnd: 1_700_000_100_000, windowMinutes: 1 };

/** One valid value per contract; each case below breaks one field of it. */
const valid: [Contract<FieldShape>, Record<string, unknown>][] = [
  [
    sensorReading,
    { sensorId: 's-1', timestamp: 1_700_000_000_000, temperature: 21.5, humidity: 40, pressure: 1013.2, location: { latitude: 52.5, longitude: 13.4 }, batteryLevel: 0.8 },
  ],
  [
    sensorWindowStats,
    {
      sensorId: 's-1',
      ...window,
      readingCount: 3,
      avgTemperature: 21,
      minTemperature: 20,
      maxTemperature: 22,
      avgHumidity: 40,
      minHumidity: 39,
      maxHumidity: 41,
      avgPressure: 1013,
      minPressure: 1012,
      maxPressure: 1014,
      minBatteryLevel: 0.5,
      temperatureTrend: 'stable',
    },
  ],
  [
    sensorAlert,
    {
      alertId: 's-1|1700000000000|low_battery',
      sensorId: 's-1',
      timestamp: 1_700_000_000_000,
      alertType: 'low_battery',
      severity: 'warning',
      value: 0.1,
      threshold: 0.2,
      message: 'battery at 10 % is below 20 %',
    },
  ],
  [
    clickEvent,
    { eventId: 'e1', sessionId: 's1', customerId: 'c1', eventType: 'purchase', productId: 'p1', category: 'books', price: 19.99, timestamp: 1_700_000_000_000 },
  ],
  [
    categoryWindowStats,
    {
      category: 'books',
      ...window,
      eventCount: 2,
      pageViews: 1,
      addToCarts: 1,
      removeFromCarts: 0,
      checkouts: 0,
      purchases: 1,
      distinctSessions: 1,
      revenue: 19.99,
      cartToPurchaseConversion: 1,
    },
  ],
  [turnstileEvent, { station: 'Central', turnstileId: 't1', deviceId: 'd1', entries: 3, exits: 2, timestamp: 1_700_000_000_000 }],
  [stationWindowStats, { station: 'Central', ...window, reportCount: 1, entries: 3, exits: 2 }],
];

interface Case {
  contract: Contract<FieldShape>;
  path: string[];
  bad: unknown;
  message: string;
}

function withValue(value: Record<string, unknown>, path: string[], bad: unknown): Record<string, unknown> {
  const [head, ...rest] = path;
  if (head === undefined) throw new Error('empty path');
  return { ...value, [head]: rest.length === 0 ? bad : withValue(value[head] as Record<string, unknown>, rest, bad) };
}

/** For every bounded top-level field: a value past each bound, and the message naming field and bound (nested: see latitude below). */
function casesOf(contract: Contract<FieldShape>, shape: FieldShape, prefix: string[] = []): Case[] {
  const cases: Case[] = [];
  for (const [name, definition] of Object.entries(shape)) {
    const path = [...prefix, name];
    const label = path.join('.');
    const avro = definition.avro;
    const bounds = definition.bounds;
    // Enums refuse anything but their symbols already; their bound is for the column.
    if (bounds?.kind === 'string' && avro === 'string') {
      cases.push({ contract, path, bad: 'x'.repeat(bounds.maxLength + 1), message: `${label} is longer than ${bounds.maxLength} characters` });
      cases.push({ contract, path, bad: 'x'.repeat(20_000), message: `${label} is longer than ${bounds.maxLength} characters` });
    }
    if (bounds?.kind === 'number') {
      cases.push({ contract, path, bad: Number.POSITIVE_INFINITY, message: `${label} must be a finite number` });
      cases.push({ contract, path, bad: Number.NaN, message: `${label} must be a finite number` });
      if (bounds.max !== undefined) cases.push({ contract, path, bad: bounds.max + 1, message: `${label} must be at most ${bounds.max}` });
      if (bounds.min !== undefined) cases.push({ contract, path, bad: bounds.min - 1, message: `${label} must be at least ${bounds.min}` });
    }
  }
  return cases;
}

const cases = valid.flatMap(([contract]) => casesOf(contract, contract.fields));

describe('bounded contracts', () => {
  it.each(valid.map(([contract, value]) => [contract.name, contract, value] as const))('%s: the example value is valid', (_name, contract, value) => {
    expect(contract.parse(value)).toEqual(value);
  });

  it('every string field has a maximum length and every number field is bounded', () => {
    for (const [contract] of valid) {
      for (const [name, definition] of Object.entries(contract.fields)) {
        if (definition.avro === 'string' || (typeof definition.avro === 'object' && 'type' in definition.avro && definition.avro.type === 'enum')) {
          expect({ field: `${contract.name}.${name}`, kind: definition.bounds?.kind }).toEqual({ field: `${contract.name}.${name}`, kind: 'string' });
        }
        if (definition.avro === 'double' || definition.avro === 'int' || definition.avro === 'long') {
          expect({ field: `${contract.name}.${name}`, kind: definition.bounds?.kind }).toEqual({ field: `${contract.name}.${name}`, kind: 'number' });
        }
      }
    }
  });

  it.each(cases.map((c) => [`${c.contract.name}.${c.path.join('.')}`, String(typeof c.bad === 'string' ? `${c.bad.length} characters` : c.bad), c] as const))(
    '%s = %s is refused, naming field and bound',
    (_label, _bad, { contract, path, bad, message }) => {
      const value = valid.find(([candidate]) => candidate === contract)?.[1];
      if (!value) throw new Error('no example value');
      let error: unknown;
      try {
        contract.parse(withValue(value, path, bad));
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ContractViolationError);
      expect((error as ContractViolationError).problems).toContain(message);
      expect((error as ContractViolationError).message).toContain(contract.name);
    },
  );

  it('refuses a nested record field past its range (latitude)', () => {
    const reading = valid[0][1];
    expect(() => sensorReading.parse({ ...reading, location: { latitude: 91, longitude: 0 } })).toThrow('location.latitude must be at most 90');
    expect(() => sensorReading.parse({ ...reading, location: { latitude: 0, longitude: Number.NEGATIVE_INFINITY } })).toThrow('location.longitude must be a finite number');
  });

  it('refuses text cells past a bound: "1e999" is Infinity, an overlong id, a pressure of 1e308', () => {
    const cells = { eventId: 'e1', sessionId: 's1', customerId: 'c1', eventType: 'purchase', productId: 'p1', category: 'books', price: '1e999', timestamp: '1700000000000' };
    expect(() => clickEvent.parseText(cells)).toThrow('price must be a finite number');
    expect(() => clickEvent.parseText({ ...cells, price: '1', category: 'c'.repeat(129) })).toThrow('category is longer than 128 characters');
    expect(() => sensorReading.parse({ ...valid[0][1], pressure: 1e308 })).toThrow('pressure must be at most 2000');
  });

  it('refuses a NUL character, which PostgreSQL text cannot hold', () => {
    expect(() => turnstileEvent.parse({ ...valid[5][1], station: 'Cen\u0000tral' })).toThrow('station contains a NUL character');
  });

  describe('the bounds reach the Avro doc and the warehouse DDL', () => {
    it('documents every bound in the Avro field doc', () => {
      const fields = Object.fromEntries(sensorReading.avroSchema.fields.map((avroField) => [avroField.name, avroField.doc]));
      expect(fields['sensorId']).toBe('at most 128 characters');
      expect(fields['batteryLevel']).toBe('fraction of full charge; 0 to 1');
      expect(fields['pressure']).toBe('hPa; 0 to 2000');
      const location = sensorReading.avroSchema.fields.find((avroField) => avroField.name === 'location')?.type as { fields: AvroField[] };
      expect(location.fields.find((avroField) => avroField.name === 'latitude')?.doc).toBe('-90 to 90');
      expect(clickEvent.avroSchema.fields.find((avroField) => avroField.name === 'price')?.doc).toBe('unit price; 0 to 1000000');
      // Docs are not part of Avro's canonical form: the schema stays the same for the registry's compatibility check.
      expect(() => Type.forSchema(sensorReading.avroSchema as unknown as Parameters<typeof Type.forSchema>[0])).not.toThrow();
    });

    it('types bounded strings varchar(n) and checks declared ranges and finiteness', () => {
      const [create] = sensorWindowStatsTable.createStatements();
      expect(create).toContain('"sensor_id" varchar(128) NOT NULL');
      expect(create).toContain('"temperature_trend" varchar(32) NOT NULL');
      expect(create).toContain('"min_battery_level" double precision NOT NULL CONSTRAINT "iot_sensor_window_stats_min_battery_level_bound" CHECK ("min_battery_level" >= 0 AND "min_battery_level" <= 1)');
      expect(create).toContain('CHECK ("avg_pressure" >= 0 AND "avg_pressure" <= 2000)');
      expect(create).toContain('CHECK ("reading_count" >= 0)');
      const [alerts] = sensorAlertsTable.createStatements();
      expect(alerts).toContain('"alert_id" varchar(256) NOT NULL');
      expect(alerts).toContain('"message" varchar(512) NOT NULL');
      const [clicks] = categoryWindowStatsTable.createStatements();
      expect(clicks).toContain('CHECK ("revenue" >= 0)');
      const [stations] = stationWindowStatsTable.createStatements();
      expect(stations).toContain('CHECK ("window_minutes" >= 1 AND "window_minutes" <= 525600)');
    });

    it('never casts a parameter to varchar(n), which would truncate silently', () => {
      const statement = sensorWindowStatsTable.upsert([sensorWindowStats.parse(valid[1][1])]);
      expect(statement.text).toContain('::varchar,');
      expect(statement.text).not.toMatch(/::varchar\(/);
    });

    it('brings an existing table to the bounds idempotently', () => {
      const statements = sensorWindowStatsTable.boundStatements();
      expect(statements).toContain('ALTER TABLE "iot_sensor_window_stats" ALTER COLUMN "sensor_id" TYPE varchar(128)');
      expect(statements).toContain('ALTER TABLE "iot_sensor_window_stats" DROP CONSTRAINT IF EXISTS "iot_sensor_window_stats_min_pressure_bound"');
      expect(statements).toContain('ALTER TABLE "iot_sensor_window_stats" ADD CONSTRAINT "iot_sensor_window_stats_min_pressure_bound" CHECK ("min_pressure" >= 0 AND "min_pressure" <= 2000)');
    });
  });
});
