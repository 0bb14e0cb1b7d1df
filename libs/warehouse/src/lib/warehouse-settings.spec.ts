import { ConfigValidationError, parseEnv } from '@pipeline/config';
import { createWarehouseSchemaDataSource } from './warehouse-data-source';
import { DEFAULT_BI_READER_PASSWORD, quoteIdentifier, warehouseEnv, warehouseSettingsFrom } from './warehouse-settings';

describe('warehouse settings', () => {
  it('defaults to the public schema; no BI password is set, a login created locally gets the local one', () => {
    expect(warehouseSettingsFrom(parseEnv('test', warehouseEnv, {}))).toEqual({
      databaseUrl: 'postgres://pipeline:pipeline@127.0.0.1:5432/pipeline',
      schema: 'public',
      biReaderPasswordIfCreated: DEFAULT_BI_READER_PASSWORD,
    });
  });

  describe('with NODE_ENV=production', () => {
    const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://warehouse:Xk2-long-secret@db:5432/pipeline' };

    it('never gives a BI login a default password', () => {
      expect(warehouseSettingsFrom(parseEnv('test', warehouseEnv, production))).toEqual({ databaseUrl: production.DATABASE_URL, schema: 'public' });
      expect(warehouseSettingsFrom(parseEnv('test', warehouseEnv, { ...production, WAREHOUSE_BI_READER_PASSWORD: 'a-real-secret-1' }))).toMatchObject({
        biReaderPassword: 'a-real-secret-1',
      });
    });

    it('refuses the default passwords, naming the setting and hiding the value', () => {
      const problems = (env: Record<string, string>) => {
        try {
          parseEnv('warehouse-sink', warehouseEnv, env);
        } catch (error) {
          return (error as ConfigValidationError).problems;
        }
        return [];
      };
      expect(problems({ ...production, WAREHOUSE_BI_READER_PASSWORD: DEFAULT_BI_READER_PASSWORD })).toEqual([expect.stringMatching(/^WAREHOUSE_BI_READER_PASSWORD: is a default password/)]);
      expect(problems({ NODE_ENV: 'production' })).toEqual([expect.stringMatching(/^DATABASE_URL: uses a default password of the local stack/)]);
      expect(problems({ NODE_ENV: 'production', DATABASE_URL: 'postgres://warehouse@db/pipeline' })).toEqual([expect.stringMatching(/^DATABASE_URL: has no password/)]);
      expect(problems({ ...production, WAREHOUSE_BI_READER_PASSWORD: DEFAULT_BI_READER_PASSWORD }).join(' ')).not.toContain(DEFAULT_BI_READER_PASSWORD);
      // Locally the defaults are the point.
      expect(problems({ WAREHOUSE_BI_READER_PASSWORD: DEFAULT_BI_READER_PASSWORD })).toEqual([]);
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
