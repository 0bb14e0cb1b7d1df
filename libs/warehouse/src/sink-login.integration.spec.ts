/**
 * The sink without the owner's password (WAREHOUSE_MIGRATE_ON_START=false), against the real stack: it signs in
 * as warehouse_sink, a member of warehouse_writer only, waits at start while its schema is not migrated, and
 * lands once the owner's migration job has run. The same login told to migrate fails at start, saying what to do.
 */
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { avroBindingOf, defineTopic, sensorWindowStatsTable, sensorWindowStatsTopic, TopicNamespace } from '@pipeline/contracts';
import { requiredEnv } from '@pipeline/config';
import { createAvroCodec, createKafkaClient, createReliableProducer, createSchemaRegistry, parseBrokerList, SEND_DEFAULTS } from '@pipeline/kafka';
import {
  createWarehouseSchemaDataSource,
  DEFAULT_BI_READER_PASSWORD,
  DEFAULT_WAREHOUSE_SINK_PASSWORD,
  migrateWarehouse,
  quoteIdentifier,
  startWarehouseSink,
  WAREHOUSE_SINK_LOGIN,
  warehouseSinkService,
  type WarehouseSettings,
  type WarehouseSinkService,
} from './index';
import { sensorStats, T0, urlAs, waitFor } from './testing/fixtures';
import { landedRows } from './testing/landed-rows';

const runId = randomBytes(4).toString('hex');
const owner: WarehouseSettings = { databaseUrl: requiredEnv('DATABASE_URL'), schema: `wh_sink_login_${runId}`, biReaderPasswordIfCreated: DEFAULT_BI_READER_PASSWORD };
const topic = TopicNamespace.none.bind(defineTopic({ ...sensorWindowStatsTopic, name: `${sensorWindowStatsTopic.name}-${runId}` }));
const deadLetter = { topic: `pipeline.dead-letter-${runId}`, partitions: 1 };
const groupId = `warehouse-sink-login-it-${runId}`;
const kafka = createKafkaClient({ brokers: parseBrokerList(requiredEnv('KAFKA_BROKERS')), clientId: `warehouse-sink-login-it-${runId}` });
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };


function sinkService(schema: string, migrateOnStart: boolean): WarehouseSinkService {
  return warehouseSinkService(
    { databaseUrl: urlAs(owner.databaseUrl, WAREHOUSE_SINK_LOGIN, DEFAULT_WAREHOUSE_SINK_PASSWORD), schema, migrateOnStart, kafka: { brokers: parseBrokerList(requiredEnv('KAFKA_BROKERS')) }, registry: requiredEnv('SCHEMA_REGISTRY_URL'), groupId, clientId: groupId },
    { topics: TopicNamespace.none, routes: [{ topic, table: sensorWindowStatsTable }], deadLetter, logger: quiet, kafkaLog: () => undefined },
  );
}

const stats = sensorStats('sensor-1', T0, 3);

describe('warehouse sink signed in without the owner password (real Kafka, registry and PostgreSQL)', () => {
  const services: WarehouseSinkService[] = [];
  let db: DataSource | undefined;

  afterAll(async () => {
    for (const service of services) await service.server.close().catch(() => undefined);
    db ??= createWarehouseSchemaDataSource(owner);
    if (!db.isInitialized) await db.initialize();
    await db.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(owner.schema)} CASCADE`);
    await db.destroy();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic.topic, deadLetter.topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('waits at start while its schema is not migrated, then lands as the sink login once the owner has migrated it', async () => {
    const sink = sinkService(owner.schema, false);
    services.push(sink);
    const started = startWarehouseSink(sink);
    await waitFor('start-up to wait for the migrations', () => sink.server.health().detail.includes('waiting for the warehouse migrations'));
    expect(sink.server.health()).toMatchObject({ ok: false, state: 'starting' });
    expect(sink.server.health().detail).toMatch(/is not migrated \(table iot_sensor_window_stats is missing.*npm run warehouse:migrate/);

    // The migration job, as the owner.
    await migrateWarehouse(owner);
    await started;
    expect(sink.appliedMigrations()).toEqual([]);

    const producer = createReliableProducer(kafka);
    await producer.connect();
    const codec = await createAvroCodec(createSchemaRegistry(requiredEnv('SCHEMA_REGISTRY_URL')), avroBindingOf(topic));
    await producer.send({ topic: topic.topic, messages: [{ key: topic.key(stats), value: await codec.encode(stats) }], ...SEND_DEFAULTS });
    await producer.disconnect();
    await waitFor('the row to land', () => sink.handler.counters.records >= 1);

    db = createWarehouseSchemaDataSource(owner);
    await db.initialize();
    expect(await landedRows(db, sensorWindowStatsTable)).toEqual([stats]);
    expect(sink.server.health().ok).toBe(true);
  });

  it('waits at start while its role may not insert into a migrated table, naming the privilege and the GRANT', async () => {
    const schema = `wh_sink_login_grant_${runId}`;
    await migrateWarehouse({ ...owner, schema });
    const ownerDb = createWarehouseSchemaDataSource({ ...owner, schema });
    await ownerDb.initialize();
    const table = `${quoteIdentifier(schema)}.${quoteIdentifier(sensorWindowStatsTable.name)}`;
    try {
      await ownerDb.query(`REVOKE INSERT ON ${table} FROM warehouse_writer`);
      const sink = sinkService(schema, false);
      services.push(sink);
      const started = startWarehouseSink(sink);
      await waitFor('start-up to wait for the grant', () => sink.server.health().detail.includes('may not land into'));
      expect(sink.server.health()).toMatchObject({ ok: false, state: 'starting' });
      expect(sink.server.health().detail).toContain(`missing INSERT on ${sensorWindowStatsTable.name}): as the owner, GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA "${schema}" TO warehouse_writer`);

      await ownerDb.query(`GRANT INSERT ON ${table} TO warehouse_writer`);
      await started;
      await waitFor('the sink to be ready', () => sink.server.health().ok);
      await sink.server.close();
    } finally {
      await ownerDb.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
      await ownerDb.destroy();
    }
  });

  it('fails at start when the sink login is told to migrate, and says what to do instead', async () => {
    const sink = sinkService(`wh_sink_login_none_${runId}`, true);
    services.push(sink);
    await expect(startWarehouseSink(sink)).rejects.toThrow(/may not migrate the warehouse.*WAREHOUSE_MIGRATE_ON_START=false/);
  });
});
