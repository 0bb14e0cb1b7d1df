/**
 * The warehouse-sink's landing path against a raw COPY of the same rows into the same table,
 * on the real PostgreSQL:
 *
 *   npx nx run warehouse:bench [-- --rows 500000 --batch 50000 --rounds 3 --compare]
 *
 * Against DATABASE_URL (environment, .env or .stack/stack.env: `npm run stack:up` first), in a
 * warehouse schema of its own (created by the real migrations, dropped at the end), with
 * rows shaped like `iot_sensor_window_stats` (10,000 sensors, 1- and 5-minute windows, every key
 * new), batches of the sink's default size (the streaming runtime's records per commit), each
 * batch in its own transaction. Per round it times, landing only (rows are made beforehand):
 *   copy    raw COPY into the empty table (its primary key and indexes in place);
 *   insert  the sink's landBatch into the emptied table: every key new;
 *   update  landBatch again with the same keys and new values: every row updated.
 * With --compare also the ways not chosen: one INSERT … SELECT FROM unnest($1::type[], …) ON
 * CONFLICT per batch, and the previous sink's multi-row INSERT … VALUES … ON CONFLICT statements.
 * Each figure is the median over the rounds. Prints per-phase lines, peak RSS, then one line:
 *   warehouse-bench rows=N upsert_rows_per_s=X copy_rows_per_s=Y ratio=Z
 * where X is the update figure (the slower of the sink's two; see the README) and Z = X / Y.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { DataSource, EntityManager } from 'typeorm';
import { sensorWindowStatsTable, toSqlValue, type ContractValue, type sensorWindowStats } from '@pipeline/contracts';
import { applyHeapPolicy, heapEnv, loadEnvironment, parseEnv } from '@pipeline/config';
import { DEFAULT_BATCH_LIMITS } from '@pipeline/streaming';
import { copyRows, createWarehouseSchemaDataSource, landBatch, lastPerKey, migrateWarehouse, quoteIdentifier, upsertStatements, warehouseEnv, warehouseSettingsFrom, type LandingItem, type LandingRow } from '../src/index';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '500000' },
    batch: { type: 'string', default: String(DEFAULT_BATCH_LIMITS.maxRecords) },
    rounds: { type: 'string', default: '3' },
    compare: { type: 'boolean', default: false },
  },
});
const ROWS = Number(values.rows);
const BATCH = Number(values.batch);
const ROUNDS = Number(values.rounds);
const SENSORS = 10_000;
const table = sensorWindowStatsTable;
const T0 = Date.UTC(2024, 0, 1);

type SensorStats = ContractValue<typeof sensorWindowStats>;

/** Row `index` of a run: sensor index % 10,000; each sensor's rows alternate 1- and 5-minute windows, minute after minute. */
function windowRow(index: number, version: number): SensorStats {
  const sensor = index % SENSORS;
  const slot = Math.floor(index / SENSORS);
  const windowMinutes = slot % 2 === 0 ? 1 : 5;
  const windowStart = T0 + Math.floor(slot / 2) * 60_000;
  const wobble = ((index * 7919 + version * 104_729) % 1000) / 1000;
  return {
    sensorId: `sensor-${String(sensor).padStart(5, '0')}`,
    windowStart,
    windowEnd: windowStart + windowMinutes * 60_000,
    windowMinutes,
    readingCount: 6 * windowMinutes + version,
    avgTemperature: Math.round((21 + wobble * 4) * 1e6) / 1e6,
    minTemperature: 19 + wobble,
    maxTemperature: 25 + wobble,
    avgHumidity: Math.round((45 + wobble * 10) * 1e6) / 1e6,
    minHumidity: 40 + wobble,
    maxHumidity: 55 + wobble,
    avgPressure: Math.round((1013 + wobble) * 1e6) / 1e6,
    minPressure: 1012 + wobble,
    maxPressure: 1014 + wobble,
    minBatteryLevel: 0.2 + wobble / 2,
    temperatureTrend: version % 2 === 0 ? 'increasing' : 'stable',
  };
}

/** A batch as the sink gets it: decoded rows with the records they came from. */
function batchItems(start: number, version: number): LandingItem[] {
  const items: LandingItem[] = [];
  for (let index = start; index < Math.min(ROWS, start + BATCH); index += 1) {
    items.push({ row: windowRow(index, version), record: { topic: 'warehouse-bench', partition: 0, offset: String(index), key: null, value: null, headers: {} } });
  }
  return items;
}

type Lander = (dataSource: DataSource, items: readonly LandingItem[]) => Promise<void>;

const rowsOf = (items: readonly LandingItem[]): LandingRow[] => items.map((item) => item.row);
const inTransaction = (land: (manager: EntityManager, rows: readonly LandingRow[]) => Promise<unknown>): Lander => (dataSource, items) => dataSource.transaction((manager) => land(manager, rowsOf(items))).then(() => undefined);

const columnList = table.columns.map((column) => quoteIdentifier(column.column)).join(', ');
/** The alternative to staging: each column as one array parameter, unnested (one statement, 16 parameters, whatever the rows). */
const unnestUpsert = `INSERT INTO ${quoteIdentifier(table.name)} (${columnList}) SELECT * FROM unnest(${table.columns.map((column, index) => `$${index + 1}::${column.sql}[]`).join(', ')}) ${table.onConflict}`;

const landers: Record<string, Lander> = {
  copy: inTransaction((manager, rows) => copyRows(manager, table.name, table.columns, rows)),
  sink: async (dataSource, items) => {
    const refused = await landBatch(dataSource, table, items);
    if (refused.length > 0) throw new Error(`the database refused ${refused.length} bench rows: ${refused[0]?.failure.reason}`);
  },
  unnest: inTransaction((manager, rows) => {
    const latest = lastPerKey(table, rows);
    return manager.query(
      unnestUpsert,
      table.columns.map((column) => latest.map((row) => toSqlValue(column.sql, row[column.field]))),
    );
  }),
  values: inTransaction((manager, rows) => upsertStatements(manager, table, rows)),
};

let peakRss = 0;
const sampleRss = () => void (peakRss = Math.max(peakRss, process.memoryUsage().rss));

/** Lands every batch (made before its timing starts) and returns rows per second of landing time. */
async function timeLanding(dataSource: DataSource, lander: Lander, version: number): Promise<number> {
  let landingMs = 0;
  for (let start = 0; start < ROWS; start += BATCH) {
    const items = batchItems(start, version);
    const startedAt = performance.now();
    await lander(dataSource, items);
    landingMs += performance.now() - startedAt;
  }
  return ROWS / (landingMs / 1000);
}

function median(figures: readonly number[]): number {
  const sorted = [...figures].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

async function main(): Promise<void> {
  if (!(Number.isInteger(ROWS) && ROWS > 0 && Number.isInteger(BATCH) && BATCH > 0 && Number.isInteger(ROUNDS) && ROUNDS > 0)) {
    throw new Error('--rows, --batch and --rounds must be positive integers');
  }
  // The sink's settings, read as `npm run warehouse:migrate` reads them (environment, .env, .stack/stack.env), in a schema of its own.
  // The heap policy the warehouse-sink runs with (HEAP_GROWTH_PERCENT).
  applyHeapPolicy(parseEnv('warehouse:bench', heapEnv, loadEnvironment()));
  const settings = { ...warehouseSettingsFrom(parseEnv('warehouse:bench', warehouseEnv, loadEnvironment())), schema: `warehouse_bench_${Date.now()}` };
  await migrateWarehouse(settings);
  // The sink's own data source (pool size and all); only the schema is the bench's.
  const dataSource = createWarehouseSchemaDataSource(settings);
  await dataSource.initialize();
  const sampler = setInterval(sampleRss, 50);
  const emptyTable = () => dataSource.query(`TRUNCATE ${quoteIdentifier(table.name)}`);
  const phases: [name: string, run: () => Promise<number>][] = [
    ['copy', async () => (await emptyTable(), timeLanding(dataSource, landers['copy'] as Lander, 1))],
    ['insert', async () => (await emptyTable(), timeLanding(dataSource, landers['sink'] as Lander, 1))],
    ['update', () => timeLanding(dataSource, landers['sink'] as Lander, 2)],
  ];
  if (values.compare) {
    for (const way of ['unnest', 'values']) {
      phases.push([`${way}-insert`, async () => (await emptyTable(), timeLanding(dataSource, landers[way] as Lander, 1))]);
      phases.push([`${way}-update`, () => timeLanding(dataSource, landers[way] as Lander, 2)]);
    }
  }
  const figures = new Map<string, number[]>(phases.map(([name]) => [name, []]));
  try {
    // Warm-up, not timed: the pool's connections, the staging tables and the code paths.
    for (const way of values.compare ? ['copy', 'sink', 'unnest', 'values'] : ['copy', 'sink']) {
      await emptyTable();
      await (landers[way] as Lander)(dataSource, batchItems(0, 0));
    }
    console.error(`after warm-up: rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB, heap ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MiB`);
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const [name, run] of phases) {
        const rowsPerSecond = await run();
        figures.get(name)?.push(rowsPerSecond);
        console.error(`round ${round} ${name}: ${Math.round(rowsPerSecond)} rows/s`);
      }
    }
  } finally {
    clearInterval(sampler);
    await dataSource.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(settings.schema)} CASCADE`);
    await dataSource.destroy();
  }
  const result = (name: string) => Math.round(median(figures.get(name) ?? []));
  for (const [name] of phases) console.log(`${name}_rows_per_s=${result(name)}`);
  console.log(`peak_rss_mib=${Math.round(peakRss / 2 ** 20)}`);
  const upsert = result('update');
  const copy = result('copy');
  console.log(`warehouse-bench rows=${ROWS} upsert_rows_per_s=${upsert} copy_rows_per_s=${copy} ratio=${(upsert / copy).toFixed(2)}`);
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
