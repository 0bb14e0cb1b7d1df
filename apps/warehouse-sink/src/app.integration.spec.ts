/**
 * The service's wiring against the real stack: bootstrap migrates the warehouse (a schema of its own
 * here) and joins the consumer group; /metrics shows the sink's counters; /health/live answers from the
 * start, /health/ready once the sink runs; shutdown leaves the group.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Test } from '@nestjs/testing';
import { warehouseTables } from '@pipeline/contracts';
import { createKafkaClient, parseBrokerList } from '@pipeline/kafka';
import { endpointsGivenIn, isComplete } from '@pipeline/stack';
import { createWarehouseSchemaDataSource, queryRows, quoteIdentifier } from '@pipeline/warehouse';

const endpoints = endpointsGivenIn(process.env);
if (!isComplete(endpoints)) throw new Error('the stack endpoints are not set: the Jest global setup should have provided them');

describe('warehouse-sink service (real stack)', () => {
  const runId = randomBytes(4).toString('hex');
  const schema = `wh_app_it_${runId}`;
  const groupId = `warehouse-sink-app-it-${runId}`;
  const kafka = createKafkaClient({ brokers: parseBrokerList(endpoints.KAFKA_BROKERS), clientId: `warehouse-sink-app-it-${runId}` });
  const admin = kafka.admin();
  const db = createWarehouseSchemaDataSource({ databaseUrl: endpoints.DATABASE_URL, schema }, { extra: { max: 1 } });

  const groupState = async () => {
    const { groups } = await admin.describeGroups([groupId]);
    return { state: groups[0]?.state, members: groups[0]?.members.length };
  };

  beforeAll(async () => {
    Object.assign(process.env, { WAREHOUSE_SCHEMA: schema, WAREHOUSE_SINK_GROUP_ID: groupId, LOG_LEVEL: 'warn' });
    await admin.connect();
    await db.initialize();
  });

  afterAll(async () => {
    await db.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
    await db.destroy();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  });

  it('migrates and joins its consumer group when its transport starts, exposes its counters and progress, and leaves the group on shutdown', async () => {
    // Imported after the environment is set: the config module reads it when the module is defined.
    const { AppModule } = await import('./app.module');
    const app = (await Test.createTestingModule({ imports: [AppModule] }).compile()).createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    // Before its transport starts the sink is live (the process answers) but not ready.
    expect((await fetch(`${await app.getUrl()}/health/live`)).status).toBe(200);
    expect((await fetch(`${await app.getUrl()}/health/ready`)).status).toBe(503);
    // As main.ts does: the sink's stream server is the app's transport.
    const { WarehouseSinkLifecycle } = await import('./warehouse-sink.lifecycle');
    app.connectMicroservice({ strategy: app.get(WarehouseSinkLifecycle).sink.server });
    await app.startAllMicroservices();
    try {
      const tables = await queryRows<{ table_name: string }>(db, 'SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema]);
      expect(tables.map((table) => table.table_name)).toEqual(expect.arrayContaining(warehouseTables.map((table) => table.name)));
      expect(await groupState()).toEqual({ state: 'Stable', members: 1 });

      const metrics = await (await fetch(`${await app.getUrl()}/metrics`)).text();
      expect(metrics).toContain('# TYPE pipeline_sink_rows_upserted_total counter');
      expect(metrics).toContain('# TYPE pipeline_sink_upsert_duration_seconds histogram');
      for (const table of warehouseTables) expect(metrics).toMatch(new RegExp(`^pipeline_sink_rows_upserted_total\\{[^}]*table="${table.name}"`, 'm'));
      expect(metrics).toContain(`pipeline_stream_consumer_lag{group="${groupId}"`);
      const health = await fetch(`${await app.getUrl()}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', info: { sink: { status: 'up' } } });
      const ready = await fetch(`${await app.getUrl()}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ok', info: { kafka: { status: 'up' }, postgres: { status: 'up' }, sink: { status: 'up' } } });
      expect((await fetch(`${await app.getUrl()}/health/live`)).status).toBe(200);
    } finally {
      await app.close();
    }
    expect(await groupState()).toEqual({ state: 'Empty', members: 0 });
  });
});
