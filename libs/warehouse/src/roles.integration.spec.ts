/**
 * Least privilege in the real PostgreSQL (issue #9): the role the sink lands as, the BI login, and the
 * BI password that an unset setting leaves alone. Each run migrates a schema of its own.
 */
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { sensorReading, sensorWindowStatsTable } from '@pipeline/contracts';
import { requiredEnv } from '@pipeline/config';
import {
  BI_READER_LOGIN,
  createWarehouseSchemaDataSource,
  DEFAULT_BI_READER_PASSWORD,
  migrateWarehouse,
  queryRows,
  quoteIdentifier,
  WAREHOUSE_WRITER_ROLE,
  WarehouseRoleError,
  type WarehouseSettings,
} from './index';
import { sensorStats, T0, urlAs } from './testing/fixtures';

const runId = randomBytes(4).toString('hex');
const settings: WarehouseSettings = { databaseUrl: requiredEnv('DATABASE_URL'), schema: `wh_roles_${runId}`, biReaderPasswordIfCreated: DEFAULT_BI_READER_PASSWORD };
const otherSchema = `wh_roles_other_${runId}`;
const table = quoteIdentifier(sensorWindowStatsTable.name);

const stats = sensorStats('sensor-1', T0, 2);


/** The SQLSTATE a query fails with (pg puts it on the error, TypeORM keeps it on driverError too). */
async function sqlStateOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    const code = (error as { code?: unknown; driverError?: { code?: unknown } }).code ?? (error as { driverError?: { code?: unknown } }).driverError?.code;
    return String(code);
  }
  throw new Error('the query succeeded');
}

async function open(url: string, schema: string, role?: string): Promise<DataSource> {
  const dataSource = createWarehouseSchemaDataSource({ databaseUrl: url, schema }, { extra: { max: 1 } }, role);
  await dataSource.initialize();
  return dataSource;
}

describe('database roles (real PostgreSQL)', () => {
  let owner: DataSource;

  beforeAll(async () => {
    await migrateWarehouse(settings);
    owner = await open(settings.databaseUrl, settings.schema);
    // A schema the warehouse does not own: nothing granted to the writer or the reader.
    await owner.query(`CREATE SCHEMA ${quoteIdentifier(otherSchema)}`);
    await owner.query(`CREATE TABLE ${quoteIdentifier(otherSchema)}.secrets (x int)`);
  });

  afterAll(async () => {
    if (owner?.isInitialized) {
      await owner.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(otherSchema)} CASCADE`);
      await owner.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(settings.schema)} CASCADE`);
      await owner.destroy();
    }
  });

  describe(`the sink's landing role (${WAREHOUSE_WRITER_ROLE})`, () => {
    let writer: DataSource;

    beforeAll(async () => {
      writer = await open(settings.databaseUrl, settings.schema, WAREHOUSE_WRITER_ROLE);
    });

    afterAll(async () => {
      await writer?.destroy();
    });

    it('lands rows as the writer', async () => {
      expect(await queryRows(writer, 'SELECT current_user AS role')).toEqual([{ role: WAREHOUSE_WRITER_ROLE }]);
      const upsert = sensorWindowStatsTable.upsert([stats]);
      await writer.query(upsert.text, upsert.values);
      expect(await queryRows(writer, `SELECT count(*)::int AS rows FROM ${table}`)).toEqual([{ rows: 1 }]);
    });

    it('cannot CREATE ROLE', async () => {
      expect(await sqlStateOf(writer.query(`CREATE ROLE intruder_${runId}`))).toBe('42501');
    });

    it('cannot touch another schema', async () => {
      expect(await sqlStateOf(writer.query(`SELECT * FROM ${quoteIdentifier(otherSchema)}.secrets`))).toBe('42501');
      expect(await sqlStateOf(writer.query(`INSERT INTO ${quoteIdentifier(otherSchema)}.secrets VALUES (1)`))).toBe('42501');
      expect(await sqlStateOf(writer.query(`CREATE TABLE ${quoteIdentifier(otherSchema)}.more (x int)`))).toBe('42501');
    });

    it('cannot change the warehouse schema or read the migrations', async () => {
      expect(await sqlStateOf(writer.query('CREATE TABLE scratch (x int)'))).toBe('42501');
      expect(await sqlStateOf(writer.query(`DROP TABLE ${table}`))).toBe('42501');
      expect(await sqlStateOf(writer.query('SELECT * FROM warehouse_migrations'))).toBe('42501');
    });

    it('meets the contract bounds in the columns too: a row past a range or a length is refused', async () => {
      const upsert = sensorWindowStatsTable.upsert([{ ...stats, sensorId: 'sensor-2', avgPressure: 1e13 }]);
      expect(await sqlStateOf(writer.query(upsert.text, upsert.values))).toBe('23514');
      const infinite = sensorWindowStatsTable.upsert([{ ...stats, sensorId: 'sensor-3', maxPressure: Number.POSITIVE_INFINITY }]);
      expect(await sqlStateOf(writer.query(infinite.text, infinite.values))).toBe('23514');
      const long = sensorWindowStatsTable.upsert([{ ...stats, sensorId: 's'.repeat(20_000) }]);
      expect(await sqlStateOf(writer.query(long.text, long.values))).toBe('22001');
      // The contract refuses all three before they get here.
      expect(() => sensorReading.parse({ sensorId: 's'.repeat(20_000) })).toThrow('sensorId is longer than 128 characters');
    });
  });

  describe(`the BI login (${BI_READER_LOGIN})`, () => {
    let reader: DataSource;

    beforeAll(async () => {
      reader = await open(urlAs(settings.databaseUrl, BI_READER_LOGIN, DEFAULT_BI_READER_PASSWORD), settings.schema);
    });

    afterAll(async () => {
      await reader?.destroy();
    });

    it('reads the warehouse schema only', async () => {
      expect(await queryRows(reader, `SELECT count(*)::int >= 0 AS readable FROM ${table}`)).toEqual([{ readable: true }]);
      expect(await sqlStateOf(reader.query(`SELECT * FROM ${quoteIdentifier(otherSchema)}.secrets`))).toBe('42501');
    });

    it('cannot create a temporary table', async () => {
      expect(await sqlStateOf(reader.query('CREATE TEMP TABLE bi_scratch (x int)'))).toBe('42501');
    });

    it('has its long query cancelled by the statement timeout', async () => {
      const [setting] = await queryRows<{ ms: number }>(reader, `SELECT extract(epoch FROM current_setting('statement_timeout')::interval)::int * 1000 AS ms`);
      const timeoutMs = setting?.ms ?? 0;
      expect(timeoutMs).toBeGreaterThan(0);
      // Sleep one second longer than the timeout allows: 57014 is query_canceled.
      expect(await sqlStateOf(reader.query('SELECT pg_sleep($1)', [timeoutMs / 1000 + 1]))).toBe('57014');
    }, 120_000);
  });

  describe('a table from before the bounds', () => {
    it('gets varchar(n) and its CHECK constraints from the new migration', async () => {
      const old = { ...settings, schema: `${settings.schema}_old` };
      await migrateWarehouse(old);
      const admin = await open(old.databaseUrl, old.schema);
      try {
        // Back to the shape the first migration gave it before issue #9, and the bounds migration not applied yet.
        await admin.query(`ALTER TABLE ${table} ALTER COLUMN sensor_id TYPE text`);
        await admin.query(`ALTER TABLE ${table} DROP CONSTRAINT iot_sensor_window_stats_avg_pressure_bound`);
        await admin.query(`DELETE FROM warehouse_migrations WHERE name = 'BoundColumnsAndWriterRole1767225600002'`);
        await admin.query(`INSERT INTO ${table} (sensor_id, window_start, window_end, window_minutes, reading_count, avg_temperature, min_temperature, max_temperature,
          avg_humidity, min_humidity, max_humidity, avg_pressure, min_pressure, max_pressure, min_battery_level, temperature_trend)
          VALUES ('sensor-old', now(), now(), 1, 1, 20, 20, 20, 40, 40, 40, 1013, 1013, 1013, 0.5, 'stable')`);

        expect(await migrateWarehouse(old)).toEqual(['BoundColumnsAndWriterRole1767225600002']);
        const [column] = await queryRows<{ data_type: string; length: number }>(
          admin,
          `SELECT data_type, character_maximum_length AS length FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = 'sensor_id'`,
          [old.schema, sensorWindowStatsTable.name],
        );
        expect(column).toEqual({ data_type: 'character varying', length: 128 });
        expect(await sqlStateOf(admin.query(`UPDATE ${table} SET avg_pressure = 1e12`))).toBe('23514');
        expect(await queryRows(admin, `SELECT sensor_id FROM ${table}`)).toEqual([{ sensor_id: 'sensor-old' }]);
      } finally {
        await admin.query(`DROP SCHEMA ${quoteIdentifier(old.schema)} CASCADE`);
        await admin.destroy();
      }
    });
  });

  describe('the BI password', () => {
    it('is not reset when WAREHOUSE_BI_READER_PASSWORD is unset (not even to the default of a newly created login)', async () => {
      await migrateWarehouse({ ...settings, biReaderPasswordIfCreated: 'not-the-password-123' });
      const reader = await open(urlAs(settings.databaseUrl, BI_READER_LOGIN, DEFAULT_BI_READER_PASSWORD), settings.schema);
      await reader.destroy();
      await expect(open(urlAs(settings.databaseUrl, BI_READER_LOGIN, 'not-the-password-123'), settings.schema)).rejects.toThrow(/password authentication failed/);
    });

    it('set, is refused with the reason when the owner login may not change roles', async () => {
      const [self] = await queryRows<{ manages: boolean }>(owner, 'SELECT rolsuper OR rolcreaterole AS manages FROM pg_roles WHERE rolname = current_user');
      if (self?.manages) {
        // A superuser owner (Docker's image) may: the password is simply set again, to the same value.
        await expect(migrateWarehouse({ ...settings, biReaderPassword: DEFAULT_BI_READER_PASSWORD })).resolves.toEqual([]);
        return;
      }
      const failure = migrateWarehouse({ ...settings, biReaderPassword: 'a-new-password-456' });
      await expect(failure).rejects.toBeInstanceOf(WarehouseRoleError);
      await expect(failure).rejects.toThrow(`this login may not change ${BI_READER_LOGIN}'s password`);
    });
  });
});
