import { sensorWindowStatsTable } from '@pipeline/contracts';
import { tableDriftProblems, type ExistingColumn } from './migrate';
import { WarehouseNotWritableError } from './errors';

const table = sensorWindowStatsTable;
/** How PostgreSQL's information_schema reports the DDL types of this table. */
const REPORTED_TYPE: Record<string, string> = { timestamptz: 'timestamp with time zone', 'numeric(20,6)': 'numeric' };

function columnsAsCreated(): ExistingColumn[] {
  return table.columns.map((column) => {
    const varchar = /^varchar\((\d+)\)$/.exec(column.sql);
    if (varchar) return { table_name: table.name, column_name: column.column, data_type: 'character varying', character_maximum_length: Number(varchar[1]) };
    return { table_name: table.name, column_name: column.column, data_type: REPORTED_TYPE[column.sql] ?? column.sql, character_maximum_length: null };
  });
}

describe('tableDriftProblems', () => {
  it('finds nothing when the table matches its contract', () => {
    expect(tableDriftProblems([table], columnsAsCreated())).toEqual([]);
  });

  it('names a missing table', () => {
    expect(tableDriftProblems([table], [])).toEqual(['table iot_sensor_window_stats is missing']);
  });

  it('names missing columns and columns of another type', () => {
    const existing = columnsAsCreated()
      .filter((column) => column.column_name !== 'temperature_trend')
      .map((column) => (column.column_name === 'reading_count' ? { ...column, data_type: 'integer' } : column));
    expect(tableDriftProblems([table], existing)).toEqual([
      'column iot_sensor_window_stats.reading_count is integer, the contract says bigint',
      'column iot_sensor_window_stats.temperature_trend is missing',
    ]);
  });

  it('names a text column the bounds have not reached yet (a table from before the bounds)', () => {
    const existing = columnsAsCreated().map((column) => (column.column_name === 'sensor_id' ? { ...column, data_type: 'text', character_maximum_length: null } : column));
    expect(tableDriftProblems([table], existing)).toEqual(['column iot_sensor_window_stats.sensor_id is text, the contract says character varying(128)']);
  });

  it('ignores tables the contracts do not define', () => {
    expect(tableDriftProblems([table], [...columnsAsCreated(), { table_name: 'scratch', column_name: 'x', data_type: 'text' }])).toEqual([]);
  });
});

describe('WarehouseNotWritableError', () => {
  it('names each missing privilege and the GRANT that gives it', () => {
    const error = new WarehouseNotWritableError('public', { tables: ['INSERT on iot_sensor_window_stats'], temporaryOnDatabase: 'pipeline' });
    expect(error.message).toBe(
      'the sink\'s role may not land into warehouse schema "public" (missing INSERT on iot_sensor_window_stats, TEMPORARY on database "pipeline"): as the owner, GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA "public" TO warehouse_writer; GRANT TEMPORARY ON DATABASE "pipeline" TO warehouse_writer',
    );
    expect(error.retriable).toBe(true);
  });

  it('asks only for the database grant when only TEMPORARY is missing', () => {
    expect(new WarehouseNotWritableError('wh', { tables: [], temporaryOnDatabase: 'warehouse' }).message).toMatch(/\(missing TEMPORARY on database "warehouse"\): as the owner, GRANT TEMPORARY ON DATABASE "warehouse" TO warehouse_writer$/);
  });
});
