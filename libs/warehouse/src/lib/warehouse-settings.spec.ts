import { ConfigValidationError, parseEnv } from '@pipeline/config';
import { createWarehouseSchemaDataSource } from './warehouse-data-source';
import { DEFAULT_BI_READER_PASSWORD, quoteIdentifier, warehouseEnv, warehouseSettingsFrom } from './warehouse-settings';

describe('warehouse settings', () => {
  it('defaults to the public schema and the local BI password', () => {
    expect(warehouseSettingsFrom(parseEnv('test', warehouseEnv, {}))).toEqual({
      databaseUrl: 'postgres://pipeline:pipeline@127.0.0.1:5432/pipeline',
      schema: 'public',
      biReaderPassword: DEFAULT_BI_READER_PASSWORD,
    });
  });

  it.each(['analytics', 'wh_test_1a2b', '_private'])('accepts schema %s', (schema) => {
    expect(parseEnv('test', warehouseEnv, { WAREHOUSE_SCHEMA: schema }).WAREHOUSE_SCHEMA).toBe(schema);
  });

  it.each(['Analytics', '1st', 'wh-test', 'a b', `x${'y'.repeat(63)}`, 'public;drop'])('rejects schema %s', (schema) => {
    expect(() => parseEnv('test', warehouseEnv, { WAREHOUSE_SCHEMA: schema })).toThrow(ConfigValidationError);
  });

  it('rejects a short BI password', () => {
    expect(() => parseEnv('test', warehouseEnv, { WAREHOUSE_BI_READER_PASSWORD: 'short' })).toThrow(/WAREHOUSE_BI_READER_PASSWORD: must be at least 8 characters/);
  });

  it('binds a data source to a valid schema only (it becomes a connection option)', () => {
    expect(() => createWarehouseSchemaDataSource({ databaseUrl: 'postgres://u:p@127.0.0.1:5432/db', schema: 'x -c role=postgres' })).toThrow(
      'warehouse schema "x -c role=postgres" must be a lower-case PostgreSQL identifier',
    );
    const dataSource = createWarehouseSchemaDataSource({ databaseUrl: 'postgres://u:p@127.0.0.1:5432/db', schema: 'analytics' });
    expect(dataSource.options).toMatchObject({ schema: 'analytics', extra: { options: '-c search_path=analytics' }, migrationsTableName: 'warehouse_migrations' });
  });

  it('quotes identifiers, doubling quotes', () => {
    expect(quoteIdentifier('a"b')).toBe('"a""b"');
  });
});
