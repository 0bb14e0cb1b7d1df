import { Client } from 'pg';

interface LiveQuery {
  title: string;
  sql: string;
}

/** What the main job shows: the newest windows of each warehouse table, as BI tools would see them. */
const LIVE_QUERIES: LiveQuery[] = [
  {
    title: 'IoT: latest 1-minute windows per sensor (iot_sensor_window_stats)',
    sql: `SELECT sensor_id, to_char(window_start AT TIME ZONE 'UTC', 'HH24:MI') AS window_utc, reading_count AS readings,
                 round(avg_temperature, 2) AS avg_temp_c, min_battery_level AS min_battery, temperature_trend AS trend
            FROM iot_sensor_window_stats WHERE window_minutes = 1
           ORDER BY window_start DESC, sensor_id LIMIT 5`,
  },
  {
    title: 'IoT: latest alerts (iot_sensor_alerts)',
    sql: `SELECT to_char("timestamp" AT TIME ZONE 'UTC', 'HH24:MI:SS') AS at_utc, sensor_id, alert_type, severity, value
            FROM iot_sensor_alerts ORDER BY "timestamp" DESC LIMIT 3`,
  },
  {
    title: 'Clickstream: latest 1-minute windows per category (clickstream_category_window_stats)',
    sql: `SELECT category, to_char(window_start AT TIME ZONE 'UTC', 'HH24:MI') AS window_utc, event_count AS events, page_views,
                 add_to_carts, purchases, distinct_sessions AS sessions, revenue, cart_to_purchase_conversion AS conversion
            FROM clickstream_category_window_stats ORDER BY window_start DESC, category LIMIT 5`,
  },
  {
    title: 'Transit: latest 15-minute windows per station (transit_station_window_stats)',
    sql: `SELECT station, to_char(window_start AT TIME ZONE 'UTC', 'HH24:MI') AS window_utc, window_minutes AS minutes, entries, exits
            FROM transit_station_window_stats ORDER BY window_end DESC, station LIMIT 4`,
  },
];

function formatTable(rows: Record<string, unknown>[]): string {
  const first = rows[0];
  if (!first) return '  (no rows yet)';
  const columns = Object.keys(first);
  const text = (value: unknown) => (value === null || value === undefined ? '' : value instanceof Date ? value.toISOString() : String(value));
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => text(row[column]).length)));
  const line = (cells: string[]) => `  ${cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  ')}`;
  return [line(columns), line(widths.map((width) => '-'.repeat(width))), ...rows.map((row) => line(columns.map((column) => text(row[column]))))].join('\n');
}

/** Renders the live view once; tables the sink has not created yet are reported as such. */
export async function renderLiveView(databaseUrl: string, schema = 'public'): Promise<{ text: string; rows: number }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`SET search_path TO "${schema.replace(/"/g, '""')}"`);
    const sections: string[] = [];
    let rows = 0;
    for (const query of LIVE_QUERIES) {
      try {
        const result = await client.query(query.sql);
        rows += result.rowCount ?? 0;
        sections.push(`${query.title}\n${formatTable(result.rows as Record<string, unknown>[])}`);
      } catch (error) {
        const missing = error instanceof Error && /does not exist/.test(error.message);
        sections.push(`${query.title}\n  ${missing ? '(table not created yet: the warehouse-sink runs its migrations on start)' : String(error)}`);
      }
    }
    return { text: sections.join('\n\n'), rows };
  } finally {
    await client.end();
  }
}
