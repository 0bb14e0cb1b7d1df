/**
 * The warehouse against the real stack: migrations into a schema of its own, the BI login's rights,
 * and the sink landing Avro records from test-unique topics (exactly, idempotently, dead-lettering
 * what cannot land, committing offsets only for what it processed).
 */
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  avroBindingOf,
  categoryWindowStatsTable,
  defineTopic,
  HEADERS,
  sensorAlertsTable,
  sensorWindowStatsTable,
  sinkRoutes,
  stationWindowStatsTable,
  warehouseTables,
  type ContractValue,
  type FieldShape,
  type TopicDefinition,
  TopicNamespace,
  type sensorAlert,
  type stationWindowStats,
} from '@pipeline/contracts';
import { createAvroCodec, createKafkaClient, createReliableProducer, createSchemaRegistry, parseBrokerList, SEND_DEFAULTS, type KafkaMessage } from '@pipeline/kafka';
import {
  BI_READER_LOGIN,
  createWarehouseSchemaDataSource,
  DEFAULT_BI_READER_PASSWORD,
  launchWarehouseSink,
  migrateWarehouse,
  queryRows,
  quoteIdentifier,
  warehouseMigrations,
  WarehouseSchemaDriftError,
  type LandingRow,
  type LandingTable,
  type LaunchedWarehouseSink,
  type WarehouseSettings,
} from './index';
import { requiredEnv } from '@pipeline/config';
import { categoryStats, MINUTE, sensorStats, T0, waitFor } from './testing/fixtures';
import { byNaturalKey, landedRows } from './testing/landed-rows';

const runId = randomBytes(4).toString('hex');
// No BI password configured: the login keeps the one it has (the local stack's default, set when it was created).
const settings: WarehouseSettings = { databaseUrl: requiredEnv('DATABASE_URL'), schema: `wh_it_${runId}`, biReaderPasswordIfCreated: DEFAULT_BI_READER_PASSWORD };
const alert = (alertId: string, value: number): ContractValue<typeof sensorAlert> => ({
  alertId,
  sensorId: 'sensor-1',
  timestamp: T0 + 1234,
  alertType: 'temperature_out_of_range',
  severity: 'critical',
  value,
  threshold: 40,
  message: `temperature ${value} C above 40 C`,
});
const stationStats = (station: string, windowMinutes: number, entries: number): ContractValue<typeof stationWindowStats> => ({
  station,
  windowStart: T0,
  windowEnd: T0 + windowMinutes * MINUTE,
  windowMinutes,
  reportCount: 4,
  entries,
  exits: 17,
});

/** Per table: what the first round sends, and a new version of its first row (same natural key). */
const fixtures: Record<string, { rows: LandingRow[]; revisedFirst: LandingRow }> = {
  [sensorWindowStatsTable.name]: {
    rows: [sensorStats('sensor-1', T0, 12), sensorStats('sensor-1', T0 + MINUTE, 9), sensorStats('sensor-2', T0, 7)],
    revisedFirst: sensorStats('sensor-1', T0, 13),
  },
  [sensorAlertsTable.name]: { rows: [alert('sensor-1|a', 41.5), alert('sensor-1|b', 45)], revisedFirst: alert('sensor-1|a', 42) },
  [categoryWindowStatsTable.name]: { rows: [categoryStats('books', 1, 0.5), categoryStats('games', 0, null)], revisedFirst: categoryStats('books', 2, 1) },
  [stationWindowStatsTable.name]: { rows: [stationStats('Central', 15, 120), stationStats('Central', 240, 1800)], revisedFirst: stationStats('Central', 15, 121) },
};

function fixturesOf(table: LandingTable): { rows: LandingRow[]; revisedFirst: LandingRow } {
  const fixture = fixtures[table.name];
  if (!fixture) throw new Error(`no fixture for ${table.name}`);
  return fixture;
}

describe('warehouse migrations (real PostgreSQL, schema of its own)', () => {
  let admin: DataSource;
  let appliedOnFirstRun: string[];

  beforeAll(async () => {
    appliedOnFirstRun = await migrateWarehouse(settings);
    admin = createWarehouseSchemaDataSource(settings);
    await admin.initialize();
  });

  afterAll(async () => {
    await admin?.destroy();
  });

  it('applies every migration once; a second run applies nothing', async () => {
    expect(appliedOnFirstRun).toEqual(warehouseMigrations.map((migration) => new migration().name));
    expect(await migrateWarehouse(settings)).toEqual([]);
  });

  it.each(warehouseTables.map((table) => [table.name, table] as const))('creates %s with the contract columns, primary key and indexes', async (name, table) => {
    const columns = await queryRows<{ column_name: string; is_nullable: string }>(
      admin,
      'SELECT column_name, is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
      [settings.schema, name],
    );
    expect(columns).toEqual(table.columns.map((column) => ({ column_name: column.column, is_nullable: column.nullable ? 'YES' : 'NO' })));

    const qualified = `${quoteIdentifier(settings.schema)}.${quoteIdentifier(name)}`;
    const [primaryKey] = await queryRows<{ definition: string }>(
      admin,
      `SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`,
      [qualified],
    );
    const keyColumns = table.naturalKey.map((field) => table.columns.find((column) => column.field === field)?.column);
    expect(primaryKey?.definition).toBe(`PRIMARY KEY (${keyColumns.join(', ')})`);

    const indexes = await queryRows<{ indexname: string }>(admin, 'SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2', [settings.schema, name]);
    const declared = table
      .createStatements()
      .map((statement) => /^CREATE INDEX IF NOT EXISTS "([^"]+)"/.exec(statement)?.[1])
      .filter((index): index is string => index !== undefined);
    expect(declared.length).toBeGreaterThan(0);
    expect(indexes.map((index) => index.indexname).sort()).toEqual([`${name}_pkey`, ...declared].sort());

    const [comment] = await queryRows<{ doc: string }>(admin, 'SELECT obj_description($1::regclass, $2) AS doc', [qualified, 'pg_class']);
    expect(comment?.doc).toBe(table.doc);
  });

  it('lets the BI login read every table but not write, create or see the migrations', async () => {
    const readerUrl = new URL(settings.databaseUrl);
    readerUrl.username = BI_READER_LOGIN;
    readerUrl.password = encodeURIComponent(DEFAULT_BI_READER_PASSWORD);
    const reader = createWarehouseSchemaDataSource({ databaseUrl: readerUrl.toString(), schema: settings.schema }, { extra: { max: 1 } });
    await reader.initialize();
    try {
      for (const table of warehouseTables) {
        expect(await queryRows(reader, `SELECT count(*)::int AS rows FROM ${quoteIdentifier(table.name)}`)).toEqual([{ rows: 0 }]);
        await expect(reader.query(`INSERT INTO ${quoteIdentifier(table.name)} DEFAULT VALUES`)).rejects.toThrow(/permission denied/);
        await expect(reader.query(`DELETE FROM ${quoteIdentifier(table.name)}`)).rejects.toThrow(/permission denied/);
      }
      await expect(reader.query('CREATE TABLE bi_scratch (x int)')).rejects.toThrow(/permission denied/);
      await expect(reader.query('SELECT * FROM warehouse_migrations')).rejects.toThrow(/permission denied/);
    } finally {
      await reader.destroy();
    }
  });

  it('refuses to go on when a table lost a column the contract defines', async () => {
    const drifted = { ...settings, schema: `${settings.schema}_drift` };
    await migrateWarehouse(drifted);
    try {
      await admin.query(`ALTER TABLE ${quoteIdentifier(drifted.schema)}.${quoteIdentifier(sensorAlertsTable.name)} DROP COLUMN message`);
      const failure = migrateWarehouse(drifted);
      await expect(failure).rejects.toBeInstanceOf(WarehouseSchemaDriftError);
      await expect(failure).rejects.toThrow(`column ${sensorAlertsTable.name}.message is missing`);
    } finally {
      await admin.query(`DROP SCHEMA ${quoteIdentifier(drifted.schema)} CASCADE`);
    }
  });
});

describe('warehouse sink (real Kafka, registry and PostgreSQL)', () => {
  const kafka = createKafkaClient({ brokers: parseBrokerList(requiredEnv('KAFKA_BROKERS')), clientId: `warehouse-it-${runId}` });
  const registry = createSchemaRegistry(requiredEnv('SCHEMA_REGISTRY_URL'));
  const topicOfThisRun = (topic: TopicDefinition<FieldShape>) => TopicNamespace.none.bind(defineTopic({ ...topic, name: `${topic.name}-${runId}` }));
  const routes = sinkRoutes.map((route) => ({ topic: topicOfThisRun(route.topic), table: route.table }));
  const deadLetter = { topic: `pipeline.dead-letter-${runId}`, partitions: 1 };
  const groupId = `warehouse-sink-it-${runId}`;
  const producer = createReliableProducer(kafka);
  let sink: LaunchedWarehouseSink;
  let db: DataSource;
  let recordsSent = 0;
  const deadLetterEvents: { offset: string; reason: string }[] = [];

  async function send(route: (typeof routes)[number], messages: { key: string; value: Buffer | null }[]): Promise<{ partition: number; baseOffset: string }> {
    const [written] = await producer.send({ topic: route.topic.topic, messages, ...SEND_DEFAULTS });
    recordsSent += messages.length;
    if (!written?.baseOffset) throw new Error(`no offset for ${route.topic.topic}`);
    return { partition: written.partition, baseOffset: written.baseOffset };
  }

  async function sendRows(route: (typeof routes)[number], rows: readonly LandingRow[]): Promise<void> {
    const codec = await createAvroCodec(registry, avroBindingOf(route.topic));
    for (const row of rows) await send(route, [{ key: route.topic.key(row), value: await codec.encode(row) }]);
  }

  beforeAll(async () => {
    await producer.connect();
    sink = await launchWarehouseSink(
      {
        ...settings,
        kafka: { brokers: parseBrokerList(requiredEnv('KAFKA_BROKERS')) },
        registry: requiredEnv('SCHEMA_REGISTRY_URL'),
        groupId,
        clientId: `warehouse-sink-it-${runId}`,
      },
      { topics: TopicNamespace.none, routes, deadLetter, listener: { recordDeadLettered: (record) => deadLetterEvents.push(record) } },
    );
    db = createWarehouseSchemaDataSource(settings);
    await db.initialize();
  });

  afterAll(async () => {
    await sink?.stop();
    await producer.disconnect();
    await db?.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(settings.schema)} CASCADE`);
    await db?.destroy();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.deleteTopics({ topics: [...routes.map((route) => route.topic.topic), deadLetter.topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('lands every record exactly as sent', async () => {
    for (const route of routes) await sendRows(route, fixturesOf(route.table).rows);
    await waitFor('the first round to land', () => sink.counters().records >= recordsSent);
    for (const route of routes) expect(await landedRows(db, route.table)).toEqual(byNaturalKey(route.table, fixturesOf(route.table).rows));
    expect(sink.counters().rowsUpserted).toEqual(Object.fromEntries(routes.map((route) => [route.table.name, fixturesOf(route.table).rows.length])));
  });

  it('overwrites on replay: the same records again, then a new version of one, leave one row per key', async () => {
    for (const route of routes) await sendRows(route, [...fixturesOf(route.table).rows, fixturesOf(route.table).revisedFirst]);
    await waitFor('the replay to land', () => sink.counters().records >= recordsSent);
    for (const route of routes) {
      const [, ...unchanged] = fixturesOf(route.table).rows;
      expect(await landedRows(db, route.table)).toEqual(byNaturalKey(route.table, [fixturesOf(route.table).revisedFirst, ...unchanged]));
    }
  });

  it('dead-letters records that cannot decode, break their contract or are refused by the database, and keeps landing the partition', async () => {
    const [route] = routes.filter((candidate) => candidate.table === sensorWindowStatsTable);
    if (!route) throw new Error('no sensor window stats route');
    const codec = await createAvroCodec(registry, avroBindingOf(route.topic));
    const valid = sensorStats('sensor-9', T0, 5);
    const encoded = await codec.encode(valid);
    const unknownWriter = Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0]), encoded.subarray(5)]);
    const poison = [
      { value: Buffer.from('not avro at all'), reason: 'not in the Confluent wire format' },
      { value: unknownWriter, reason: `writer schema id ${unknownWriter.readInt32BE(1)} is not in the registry` },
      { value: encoded.subarray(0, 8), reason: 'the body does not match writer schema' },
      { value: await codec.encode({ ...valid, readingCount: -1 }), reason: 'breaks contract SensorWindowStats: readingCount' },
      // Beyond numeric(20,6) once; now past the contract's pressure range, so it never reaches the database.
      { value: await codec.encode(sensorStats('sensor-9', T0 + MINUTE, 5, { avgPressure: 1e15 })), reason: 'avgPressure must be at most 2000' },
    ];
    const before = sink.counters();
    // One key: poison, a null value and a valid record all go to one partition, valid one last.
    const key = route.topic.key(valid);
    const written = await send(route, [...poison.map(({ value }) => ({ key, value })), { key, value: null }, { key, value: encoded }]);

    const deadLettered: KafkaMessage[] = [];
    const reader = kafka.consumer({ groupId: `${groupId}-dead-letters`, maxWaitTimeInMs: 500 });
    await reader.connect();
    try {
      await reader.subscribe({ topic: deadLetter.topic, fromBeginning: true });
      await reader.run({ eachMessage: async ({ message }) => void deadLettered.push(message) });
      await waitFor('the dead letters', () => deadLettered.length >= poison.length);
    } finally {
      await reader.disconnect();
    }

    expect(deadLettered).toHaveLength(poison.length);
    deadLettered.forEach((message, index) => {
      const header = (name: string) => message.headers?.[name]?.toString();
      expect(message.value).toEqual(poison[index]?.value);
      expect(message.key?.toString()).toBe(key);
      expect(header(HEADERS.reason)).toContain(poison[index]?.reason);
      expect(header(HEADERS.contract)).toBe('SensorWindowStats');
      expect(header(HEADERS.sourceTopic)).toBe(route.topic.topic);
      expect(header(HEADERS.sourcePartition)).toBe(String(written.partition));
      expect(header(HEADERS.sourceOffset)).toBe((BigInt(written.baseOffset) + BigInt(index)).toString());
    });

    await waitFor('the valid record after the poison', () => sink.counters().records >= recordsSent);
    const after = sink.counters();
    expect(after.deadLettered - before.deadLettered).toBe(poison.length);
    expect(deadLetterEvents.map((event) => event.reason)).toEqual(poison.map(({ reason }) => expect.stringContaining(reason)));
    expect(after.emptyRecords - before.emptyRecords).toBe(1);
    expect((after.rowsUpserted[route.table.name] ?? 0) - (before.rowsUpserted[route.table.name] ?? 0)).toBe(1);
    const landed = await landedRows(db, route.table);
    expect(landed).toContainEqual(valid);
  });

  it('stops after committing exactly the offsets it processed', async () => {
    await sink.stop();
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topics = routes.map((route) => route.topic.topic);
      const committed = await admin.fetchOffsets({ groupId, topics });
      let committedTotal = 0n;
      for (const { topic, partitions } of committed) {
        const ends = await admin.fetchTopicOffsets(topic);
        for (const { partition, offset } of partitions) {
          const end = ends.find((candidate) => candidate.partition === partition)?.high;
          // A partition that never received a record has no committed offset (-1) and an end of 0.
          expect({ topic, partition, committed: offset === '-1' ? '0' : offset }).toEqual({ topic, partition, committed: end });
          committedTotal += BigInt(offset === '-1' ? 0 : offset);
        }
      }
      expect(committedTotal).toBe(BigInt(recordsSent));
      expect(sink.counters().records).toBe(recordsSent);
    } finally {
      await admin.disconnect();
    }
  });
});
