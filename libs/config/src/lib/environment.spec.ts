import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvironment } from './environment';

describe('loadEnvironment', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'env-loader-'));
  mkdirSync(join(cwd, '.stack'));
  writeFileSync(join(cwd, '.stack', 'stack.env'), 'KAFKA_BROKERS=stack:9092\nDATABASE_URL=postgres://stack/db\nSCHEMA_REGISTRY_URL=http://stack:8081\n');
  writeFileSync(join(cwd, '.env'), 'KAFKA_BROKERS=dotenv:9092\nDATABASE_URL=postgres://dotenv/db\n');

  it('lets the process env win over .env, and .env over the stack endpoints', () => {
    const env = loadEnvironment({ cwd, processEnv: { KAFKA_BROKERS: 'process:9092' } });
    expect(env['KAFKA_BROKERS']).toBe('process:9092');
    expect(env['DATABASE_URL']).toBe('postgres://dotenv/db');
    expect(env['SCHEMA_REGISTRY_URL']).toBe('http://stack:8081');
  });

  it('reads no file that is missing, and never writes the process env', () => {
    const before = process.env['SCHEMA_REGISTRY_URL'];
    expect(loadEnvironment({ cwd: join(cwd, '.stack'), processEnv: { A: '1' } })).toEqual({ A: '1' });
    loadEnvironment({ cwd, processEnv: {} });
    expect(process.env['SCHEMA_REGISTRY_URL']).toBe(before);
  });
});
