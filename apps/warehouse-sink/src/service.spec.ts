import { ConfigValidationError, parseEnv } from '@pipeline/config';
import { DEFAULT_BI_READER_PASSWORD } from '@pipeline/warehouse';
import { sinkSettingsFrom, warehouseSink } from './service';

describe('warehouse-sink configuration', () => {
  it('works with the local stack without any variable set', () => {
    expect(sinkSettingsFrom(parseEnv(warehouseSink.name, warehouseSink.env, {}))).toEqual({
      databaseUrl: 'postgres://pipeline:pipeline@127.0.0.1:5432/pipeline',
      schema: 'public',
      biReaderPasswordIfCreated: DEFAULT_BI_READER_PASSWORD,
      kafka: { brokers: ['127.0.0.1:9092'], security: { protocol: 'PLAINTEXT' } },
      registry: { url: 'http://127.0.0.1:8081/apis/ccompat/v7' },
      groupId: 'warehouse-sink',
      clientId: 'warehouse-sink',
      migrateOnStart: true,
    });
  });

  it('leaves the migrations to another job when told to (the sink then signs in without the owner password)', () => {
    const config = parseEnv(warehouseSink.name, warehouseSink.env, { WAREHOUSE_MIGRATE_ON_START: 'false' });
    expect(sinkSettingsFrom(config)).toMatchObject({ migrateOnStart: false });
    expect(() => parseEnv(warehouseSink.name, warehouseSink.env, { WAREHOUSE_MIGRATE_ON_START: 'no' })).toThrow(/WAREHOUSE_MIGRATE_ON_START/);
  });

  it('takes the schema, group and BI password from the environment', () => {
    const config = parseEnv(warehouseSink.name, warehouseSink.env, {
      WAREHOUSE_SCHEMA: 'analytics',
      WAREHOUSE_SINK_GROUP_ID: 'warehouse-sink.eu-1',
      WAREHOUSE_BI_READER_PASSWORD: 'correct horse battery',
    });
    expect(sinkSettingsFrom(config)).toMatchObject({ schema: 'analytics', groupId: 'warehouse-sink.eu-1', biReaderPassword: 'correct horse battery' });
  });

  it('names every invalid variable at once', () => {
    const invalid = { WAREHOUSE_SCHEMA: 'Bad-Schema', WAREHOUSE_SINK_GROUP_ID: 'a group', WAREHOUSE_BI_READER_PASSWORD: 'x' };
    let failure: unknown;
    try {
      parseEnv(warehouseSink.name, warehouseSink.env, invalid);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(ConfigValidationError);
    const problems = (failure as ConfigValidationError).problems;
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual(Object.keys(invalid).sort());
  });
});
