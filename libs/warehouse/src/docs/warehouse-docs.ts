import { TopicNamespace, withBoundDoc, type TableColumn } from '@pipeline/contracts';
import { landingRoutesIn, type LandingRoute } from '../lib/landing-route';
import { BI_READER_LOGIN, BI_READER_STATEMENT_TIMEOUT, DEFAULT_BI_READER_PASSWORD, WAREHOUSE_READER_ROLE } from '../lib/warehouse-settings';

/**
 * Meanings of columns whose contract field has no doc. A contract doc always wins; the docs
 * test fails for a column with neither and for an entry no table uses any more.
 */
export const COLUMN_MEANINGS: Readonly<Record<string, string>> = {
  sensor_id: 'sensor identifier',
  reading_count: 'readings in the window',
  avg_temperature: 'mean temperature of the readings, degrees Celsius',
  min_temperature: 'lowest temperature, degrees Celsius',
  max_temperature: 'highest temperature, degrees Celsius',
  avg_humidity: 'mean relative humidity, percent',
  min_humidity: 'lowest relative humidity, percent',
  max_humidity: 'highest relative humidity, percent',
  avg_pressure: 'mean pressure, hPa',
  min_pressure: 'lowest pressure, hPa',
  max_pressure: 'highest pressure, hPa',
  min_battery_level: 'lowest battery level, fraction of full charge',
  alert_type: 'rule that fired',
  severity: 'how serious',
  message: 'human-readable description of the alert',
  category: 'product category',
  event_count: 'click events of all types',
  page_views: 'page_view events',
  add_to_carts: 'add_to_cart events',
  remove_from_carts: 'remove_from_cart events',
  checkouts: 'checkout events',
  purchases: 'purchase events',
  distinct_sessions: 'distinct sessions with at least one event',
  station: 'station name',
  report_count: 'turnstile reports in the window',
  entries: 'passengers entering, summed over the turnstiles',
  exits: 'passengers leaving, summed over the turnstiles',
};

function enumSymbols(route: LandingRoute, column: TableColumn): readonly string[] | undefined {
  const avro = route.table.contract.fields[column.field]?.avro;
  const inner = Array.isArray(avro) ? avro[1] : avro;
  return typeof inner === 'object' && inner !== null && 'symbols' in inner ? inner.symbols : undefined;
}

// The docs name the topics' base names (no namespace): what every deployment has.
const CATALOG_ROUTES = landingRoutesIn(TopicNamespace.none);

function meaningOf(route: LandingRoute, column: TableColumn): string | undefined {
  const meaning = column.doc ?? COLUMN_MEANINGS[column.column];
  const symbols = enumSymbols(route, column);
  if (meaning === undefined) return undefined;
  const described = symbols ? `${meaning}; one of ${symbols.map((symbol) => `\`${symbol}\``).join(', ')}` : meaning;
  return withBoundDoc(described, column.bound);
}

/** Columns with no meaning anywhere (contract doc or COLUMN_MEANINGS), as table.column. */
export function undocumentedColumns(routes: readonly LandingRoute[] = CATALOG_ROUTES): string[] {
  return routes.flatMap((route) => route.table.columns.filter((column) => meaningOf(route, column) === undefined).map((column) => `${route.table.name}.${column.column}`));
}

/** COLUMN_MEANINGS entries that no undocumented column uses. */
export function unusedMeanings(routes: readonly LandingRoute[] = CATALOG_ROUTES): string[] {
  const used = new Set(routes.flatMap((route) => route.table.columns.filter((column) => column.doc === undefined).map((column) => column.column)));
  return Object.keys(COLUMN_MEANINGS).filter((column) => !used.has(column));
}

/** The index column lists of a table, read from its own DDL. */
function indexesOf(route: LandingRoute): string[] {
  return route.table
    .createStatements()
    .map((statement) => /^CREATE INDEX .* ON .* \((.*)\)$/.exec(statement)?.[1])
    .filter((columns): columns is string => columns !== undefined)
    .map((columns) => columns.replace(/"/g, ''));
}

const code = (text: string) => `\`${text}\``;

function tableSection(route: LandingRoute): string {
  const { table, topic } = route;
  const key = table.naturalKey.map((field) => table.columns.find((column) => column.field === field)?.column ?? field);
  const rows = table.columns.map(
    (column) => `| ${code(column.column)} | ${code(column.sql)} | ${column.nullable ? 'yes' : 'no'} | ${(meaningOf(route, column) ?? '').replace(/\|/g, '\\|')} |`,
  );
  return [
    `### ${code(table.name)}`,
    '',
    table.doc,
    '',
    `- **Grain**: one row per ${key.map(code).join(' + ')}.`,
    `- **Natural key** (primary key, the upsert key): ${code(`(${key.join(', ')})`)}.`,
    `- **Indexes** besides the key: ${indexesOf(route).map((columns) => code(`(${columns})`)).join(', ') || 'none'}.`,
    `- **Source**: Kafka topic ${code(topic.topic)}, contract ${code(`${table.contract.namespace}.${table.contract.name}`)}.`,
    '',
    '| column | type | nullable | meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** docs/warehouse.md, generated from the sink routes so the tables documented are the tables landed. */
export function renderWarehouseDocs(routes: readonly LandingRoute[] = CATALOG_ROUTES): string {
  const tables = routes.map((route) => `- ${code(route.table.name)}: ${route.table.doc}`);
  return `# Warehouse tables

<!-- Generated by \`npm run warehouse:docs\` from the contracts (libs/contracts) and libs/warehouse/src/docs/warehouse-docs.ts. Do not edit by hand. -->

The warehouse-sink lands every aggregate and alert of the pipeline in PostgreSQL, one table per
Kafka topic. BI tools (Metabase, Grafana, Power BI) read these tables directly with a read-only login.

${tables.join('\n')}

## How to read the tables

- **Schema**: the tables live in the PostgreSQL schema ${code('public')} unless the deployment sets ${code('WAREHOUSE_SCHEMA')}.
- **One row per natural key.** The sink upserts on the natural key (the primary key). When the
  stream-aggregator emits a window again (a late event updated it, or the pipeline replayed after a
  restart), the row is overwritten, never duplicated. The figures of recent windows can therefore still
  change until the windows close.
- **Windows**: ${code('window_start')} is inclusive and ${code('window_end')} exclusive: an event at exactly
  ${code('window_end')} belongs to the next window. Both are ${code('timestamptz')} instants (stored in UTC;
  BI tools show them in their session time zone). ${code('window_minutes')} is the window length.
- **Several window sizes share a table.** Always filter on ${code('window_minutes')}, otherwise totals count
  the same events more than once. Hopping windows (e.g. 5-minute windows starting every minute) overlap:
  sum counts over tumbling windows only (one size whose windows do not overlap).
- **Types**: ${code('bigint')} counts; ${code('numeric(20,s)')} exact measures (averages, money);
  ${code('double precision')} readings as measured (minimum, maximum); ${code('text')} identifiers and enums.
- **Freshness**: a window lands once the stream-aggregator has emitted it (its watermark passed
  ${code('window_end')}), usually seconds later.

## Tables

${routes.map(tableSection).join('\n\n')}

## Connecting BI tools

Use the read-only login ${code(BI_READER_LOGIN)}. It is a member of the NOLOGIN role ${code(WAREHOUSE_READER_ROLE)},
which has USAGE on the warehouse schema and SELECT on every table in it (tables added later included,
through default privileges), and nothing else: no INSERT, UPDATE, DELETE or DDL, no temporary tables,
and a query running longer than ${code(BI_READER_STATEMENT_TIMEOUT)} is cancelled (its statement timeout). Its
password (local stack: ${code(DEFAULT_BI_READER_PASSWORD)}) is set by a database administrator, or by the sink when
${code('WAREHOUSE_BI_READER_PASSWORD')} is set and its login may manage roles; unset, the password stays as it is.
Every value fits its column: text columns are ${code('varchar(n)')} and numbers carry CHECK constraints of their
ranges, as the meanings below say. Local stack: host ${code('127.0.0.1')}, port ${code('5432')}, database ${code('pipeline')}.

- **Metabase**: Admin settings → Databases → Add database → PostgreSQL. Host, port, database name
  ${code('pipeline')}, username ${code(BI_READER_LOGIN)} and its password; under *Schemas* choose *Only these…*
  and enter the warehouse schema. Set *Admin → Localization → Report time zone* so windows show in
  local time.
- **Grafana**: Connections → Data sources → PostgreSQL. Host URL ${code('127.0.0.1:5432')}, database
  ${code('pipeline')}, user ${code(BI_READER_LOGIN)}, TLS/SSL mode ${code('disable')} locally (${code('require')} or
  ${code('verify-full')} elsewhere), version 15. Time-series panels use the window start as time:
  ${code('SELECT window_start AS time, sensor_id, avg_temperature FROM iot_sensor_window_stats WHERE window_minutes = 1 AND $__timeFilter(window_start) ORDER BY 1')}.
- **Power BI Desktop**: Get data → PostgreSQL database. Server ${code('127.0.0.1:5432')}, database
  ${code('pipeline')}; *DirectQuery* for live dashboards, *Import* for snapshots; credentials: *Database*,
  user ${code(BI_READER_LOGIN)}. Power BI asks for an encrypted connection: on a server without TLS (the
  local stack), accept the unencrypted connection when it offers it.

Example: hourly passenger entries per station from the 15-minute windows (tumbling, so sums are exact):

\`\`\`sql
SELECT station, date_trunc('hour', window_start) AS hour, sum(entries) AS entries
FROM transit_station_window_stats
WHERE window_minutes = 15
GROUP BY station, hour
ORDER BY hour, station;
\`\`\`
`;
}
