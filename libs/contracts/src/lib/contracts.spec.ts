import { Type } from 'avsc';
import {
  TopicNamespace,
  deadLetterTopic,
  sensorReadingsTopic,
  categoryWindowStatsTable,
  clickEvent,
  ContractViolationError,
  sensorAlert,
  sensorReading,
  sensorWindowStats,
  sensorWindowStatsTable,
  stationWindowStats,
  turnstileEvent,
  categoryWindowStats,
  type ContractValue,
} from '../index';

const reading: ContractValue<typeof sensorReading> = {
  sensorId: 'sensor-1',
  timestamp: 1_700_000_000_000,
  temperature: 21.5,
  humidity: 40,
  pressure: 1013.2,
  location: { latitude: 52.5, longitude: 13.4 },
  batteryLevel: 0.8,
};

describe('contracts', () => {
  const all = [sensorReading, sensorWindowStats, sensorAlert, clickEvent, categoryWindowStats, turnstileEvent, stationWindowStats];

  it.each(all.map((contract) => [contract.name, contract] as const))('%s has a valid Avro schema', (_name, contract) => {
    expect(() => Type.forSchema(contract.avroSchema as unknown as Parameters<typeof Type.forSchema>[0])).not.toThrow();
  });

  it('round-trips a value through its Avro schema unchanged', () => {
    const type = Type.forSchema(sensorReading.avroSchema as unknown as Parameters<typeof Type.forSchema>[0]);
    expect(type.fromBuffer(type.toBuffer(sensorReading.parse(reading)))).toEqual(reading);
  });

  it('rejects a value with every problem named', () => {
    expect(() => sensorReading.parse({ ...reading, batteryLevel: 1.5, sensorId: '' })).toThrow(ContractViolationError);
    try {
      sensorReading.parse({ ...reading, batteryLevel: 1.5, sensorId: '' });
    } catch (error) {
      const problems = (error as ContractViolationError).problems.join(' | ');
      expect(problems).toContain('sensorId');
      expect(problems).toContain('batteryLevel');
    }
  });

  it('rejects unknown fields (a typo never passes silently)', () => {
    expect(() => sensorReading.parse({ ...reading, temprature: 3 })).toThrow(/temprature/);
  });

  describe('text rows (CSV)', () => {
    const row = {
      eventId: 'e1',
      sessionId: 's1',
      customerId: 'c1',
      eventType: 'purchase',
      productId: 'p1',
      category: 'books',
      price: '19.99',
      timestamp: '2024-03-01T10:00:00Z',
    };

    it('converts cells to typed values', () => {
      expect(clickEvent.parseText(row)).toEqual({ ...row, price: 19.99, timestamp: Date.parse('2024-03-01T10:00:00Z') });
    });

    it('accepts epoch millis for timestamps', () => {
      expect(clickEvent.parseText({ ...row, timestamp: '1709287200000' }).timestamp).toBe(1709287200000);
    });

    it.each([
      ['price', '12abc', 'price is not a number'],
      ['price', '', 'price is empty'],
      ['price', '-1', 'price'],
      ['eventType', 'wishlist', 'eventType'],
      ['timestamp', '2024-03-01 10:00:00', 'timestamp is not epoch millis or an ISO-8601 timestamp with a zone'],
    ])('rejects %s = "%s"', (column, cell, message) => {
      expect(() => clickEvent.parseText({ ...row, [column]: cell })).toThrow(message);
    });

    it('converts a nested record from its own cells', () => {
      const cells = { ...reading, timestamp: '1700000000000', temperature: '21.5', humidity: '40', pressure: '1013.2', batteryLevel: '0.8' };
      expect(sensorReading.parseText({ ...cells, location: { latitude: '52.5', longitude: '13.4' } })).toEqual(reading);
      expect(() => sensorReading.parseText({ ...cells, location: { latitude: 'north', longitude: '13.4' } })).toThrow('location.latitude is not a number');
    });

    it('reports a missing column', () => {
      const withoutCategory: Partial<typeof row> = { ...row };
      delete withoutCategory.category;
      expect(() => clickEvent.parseText(withoutCategory)).toThrow(/category/);
    });
  });

  describe('warehouse tables derive from the contract', () => {
    it('creates snake_case typed columns with the natural key as primary key', () => {
      const [create] = sensorWindowStatsTable.createStatements();
      expect(create).toContain('"sensor_id" varchar(128) NOT NULL');
      expect(create).toContain('"window_start" timestamptz NOT NULL');
      expect(create).toContain('"avg_temperature" numeric(20,6) NOT NULL');
      expect(create).toContain('"reading_count" bigint NOT NULL');
      expect(create).toContain('PRIMARY KEY ("sensor_id", "window_start", "window_minutes")');
      expect(sensorWindowStatsTable.columns.map((column) => column.field)).toEqual(Object.keys(sensorWindowStats.fields));
    });

    it('keeps nullable measures nullable', () => {
      const [create] = categoryWindowStatsTable.createStatements();
      expect(create).toMatch(/"cart_to_purchase_conversion" numeric\(20,6\)( CONSTRAINT "[a-z_]+" CHECK \([^\n]*\))?,?\n/);
      expect(create).not.toMatch(/"cart_to_purchase_conversion"[^\n]*NOT NULL/);
    });

    it('upserts on the natural key and keeps the last of duplicate keys', () => {
      const base = {
        category: 'books',
        windowStart: 0,
        windowEnd: 60000,
        windowMinutes: 1,
        eventCount: 1,
        pageViews: 1,
        addToCarts: 0,
        removeFromCarts: 0,
        checkouts: 0,
        purchases: 0,
        distinctSessions: 1,
        revenue: 0,
        cartToPurchaseConversion: null,
      };
      const statement = categoryWindowStatsTable.upsert([base, { ...base, eventCount: 2 }]);
      expect(statement.text).toContain('ON CONFLICT ("category", "window_start", "window_minutes") DO UPDATE SET');
      expect(statement.values).toHaveLength(categoryWindowStatsTable.columns.length);
      expect(statement.values).toContain(2);
      expect(statement.values).toContain('1970-01-01T00:00:00.000Z');
    });
  });
});

describe('topic namespace', () => {
  it('prefixes topic names and subjects from PIPELINE_TOPIC_NAMESPACE', () => {
    const topics = TopicNamespace.of('staging.');
    expect(topics.bind(sensorReadingsTopic).topic).toBe('staging.iot.sensor-readings');
    expect(topics.bind(sensorReadingsTopic).subject).toBe('staging.iot.sensor-readings-value');
    expect(topics.bind(deadLetterTopic).topic).toBe('staging.pipeline.dead-letter');
  });

  it('keeps two namespaces apart in one process, the definitions namespace-free', () => {
    expect(TopicNamespace.of('a.').bind(sensorReadingsTopic).topic).toBe('a.iot.sensor-readings');
    expect(TopicNamespace.of('b.').bind(sensorReadingsTopic).topic).toBe('b.iot.sensor-readings');
    expect(TopicNamespace.none.bind(sensorReadingsTopic).topic).toBe('iot.sensor-readings');
    expect(sensorReadingsTopic.name).toBe('iot.sensor-readings');
    const topics = TopicNamespace.of('a.');
    expect(topics.bind(sensorReadingsTopic)).toBe(topics.bind(sensorReadingsTopic));
  });

  it('rejects characters Kafka does not allow', () => {
    expect(() => TopicNamespace.of('a b')).toThrow(/PIPELINE_TOPIC_NAMESPACE/);
  });
});
