/**
 * The sink's landing path against the real PostgreSQL, in a warehouse schema of its own: COPY into
 * the staging table and one INSERT … SELECT … ON CONFLICT, the last version of a key winning, and
 * rows the database refuses isolated one by one with their SQLSTATE while every other row lands.
 */
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { categoryWindowStatsTable, sensorWindowStatsTable } from '@pipeline/contracts';
import { requiredEnv } from '@pipeline/config';
import { createWarehouseSchemaDataSource } from '../warehouse-data-source';
import { DEFAULT_BI_READER_PASSWORD, quoteIdentifier, type WarehouseSettings } from '../warehouse-settings';
import { migrateWarehouse } from '../migrate';
import { queryRows } from '../sql';
import type { LandingRow } from '../landing-route';
import { categoryStats, MINUTE, sensorStats, T0, type SensorStats } from '../../testing/fixtures';
import { byNaturalKey, landedRows } from '../../testing/landed-rows';
import { copyUpsert, landBatch, lastPerKey, type LandingItem } from './land-batch';

const runId = randomBytes(4).toString('hex');
const settings: WarehouseSettings = { databaseUrl: requiredEnv('DATABASE_URL'), schema: `wh_land_${runId}`, biReaderPasswordIfCreated: DEFAULT_BI_READER_PASSWORD };
/** The window `minute` minutes after T0; a negative minimum, so COPY's text form of a sign is landed too. */
const statsAt = (sensorId: string, minute: number, readingCount: number, overrides: Partial<SensorStats> = {}): SensorStats =>
  sensorStats(sensorId, T0 + minute * MINUTE, readingCount, { minTemperature: -19.5, ...overrides });

/** Letters and digits from a fixed LCG: incompressible, so PostgreSQL cannot fit them in an index row. */
function longId(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let state = 20260301;
  let id = 'sensor-';
  while (id.length < length) {
    state = (state * 1103515245 + 12345) % 2147483648;
    id += alphabet[Math.floor((state / 2147483648) * alphabet.length)];
  }
  return id;
}

let offset = 0;
const items = (rows: readonly LandingRow[]): LandingItem[] => rows.map((row) => ({ row, record: { topic: 'land-it', partition: 0, offset: String(offset++), key: null, value: null, headers: {} } }));

describe('landBatch (real PostgreSQL, schema of its own)', () => {
  let db: DataSource;

  beforeAll(async () => {
    await migrateWarehouse(settings);
    // One connection: the staging table is per connection, and a test looks into it.
    db = createWarehouseSchemaDataSource(settings, { extra: { max: 1 } });
    await db.initialize();
  });

  afterAll(async () => {
    await db?.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(settings.schema)} CASCADE`);
    await db?.destroy();
  });

  beforeEach(async () => {
    await db.query(`TRUNCATE ${quoteIdentifier(sensorWindowStatsTable.name)}, ${quoteIdentifier(categoryWindowStatsTable.name)}`);
  });

  it('copies every row exactly, the last version of a key repeated in the batch winning', async () => {
    const rows: SensorStats[] = Array.from({ length: 1500 }, (_, index) => statsAt(`sensor-${index % 300}`, Math.floor(index / 300), index, { avgTemperature: index / 8 }));
    // Text COPY must escape: tab, line breaks, backslash; and non-ASCII.
    rows.push(statsAt('tab\there, new\nline, cr\r, back\\slash "quoted" ünïcode', 0, 1));
    rows.push(statsAt('sensor-7', 0, 999_999, { temperatureTrend: 'stable' }));
    // The COPY path itself (landBatch would hide a COPY failure by landing the rows the slow way).
    await db.transaction((manager) => copyUpsert(manager, sensorWindowStatsTable, rows));
    const expected = lastPerKey(sensorWindowStatsTable, rows);
    expect(expected).toHaveLength(1501);
    expect(await landedRows(db, sensorWindowStatsTable)).toEqual(byNaturalKey(sensorWindowStatsTable, expected));
  });

  it('overwrites rows already there (same keys again) and lands nulls', async () => {
    expect(await landBatch(db, categoryWindowStatsTable, items([categoryStats('books', 1, 0.5), categoryStats('games', 0, null)]))).toEqual([]);
    const revised = [categoryStats('books', 2, null), categoryStats('games', 1, 1)];
    expect(await landBatch(db, categoryWindowStatsTable, items(revised))).toEqual([]);
    expect(await landedRows(db, categoryWindowStatsTable)).toEqual(byNaturalKey(categoryWindowStatsTable, revised));
  });

  it('reuses the connection\'s staging table, empty after each commit', async () => {
    await landBatch(db, sensorWindowStatsTable, items([statsAt('sensor-1', 0, 1), statsAt('sensor-2', 0, 1)]));
    await landBatch(db, sensorWindowStatsTable, items([statsAt('sensor-3', 0, 1)]));
    const staged = await queryRows<{ rows: number }>(db, `SELECT count(*)::int AS rows FROM pg_temp.${quoteIdentifier(`staging_${sensorWindowStatsTable.name}`)}`);
    expect(staged).toEqual([{ rows: 0 }]);
    expect(await landedRows(db, sensorWindowStatsTable)).toHaveLength(3);
  });

  it('returns each refused row with its SQLSTATE, in record order, and lands every other row', async () => {
    const rows = Array.from({ length: 1000 }, (_, index) => statsAt(`sensor-${index}`, 0, index));
    rows[100] = statsAt('sensor-100', 0, 100, { avgPressure: 1e15 }); // beyond numeric(20,6): 22003
    rows[700] = statsAt(longId(20_000), 0, 700); // longer than the column's bound (varchar(128)): 22001
    const batch = items(rows);
    const refused = await landBatch(db, sensorWindowStatsTable, batch);
    expect(refused.map(({ record, failure }) => ({ offset: record.offset, kind: failure.kind, reasonClass: failure.reasonClass }))).toEqual([
      { offset: batch[100]?.record.offset, kind: 'record', reasonClass: 'database-refused' },
      { offset: batch[700]?.record.offset, kind: 'record', reasonClass: 'database-refused' },
    ]);
    expect(refused[0]?.failure.reason).toContain('SQLSTATE 22003');
    expect(refused[1]?.failure.reason).toContain('SQLSTATE 22001');
    const landed = await landedRows(db, sensorWindowStatsTable);
    expect(landed).toEqual(byNaturalKey(sensorWindowStatsTable, rows.filter((_, index) => index !== 100 && index !== 700)));
  });

  it('fails the batch, refusing no row, when the failure is not about a row', async () => {
    const missing = { ...sensorWindowStatsTable, name: 'no_such_table' };
    await expect(landBatch(db, missing, items([statsAt('sensor-1', 0, 1)]))).rejects.toThrow(/no_such_table/);
  });
});
