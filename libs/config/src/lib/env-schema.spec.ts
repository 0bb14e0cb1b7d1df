import { z } from 'zod';
import { ConfigValidationError, endpointEnv, parseEnv, serviceEnv } from './env-schema';

describe('parseEnv', () => {
  const shape = { ...endpointEnv, HTTP_PORT: serviceEnv.HTTP_PORT.default(3000), LOG_LEVEL: serviceEnv.LOG_LEVEL };

  it('applies local-stack defaults when nothing is set', () => {
    const config = parseEnv('test', shape, {});
    expect(config.KAFKA_BROKERS).toBe('127.0.0.1:9092');
    expect(config.SCHEMA_REGISTRY_URL).toBe('http://127.0.0.1:8081/apis/ccompat/v7');
    expect(config.DATABASE_URL).toBe('postgres://pipeline:pipeline@127.0.0.1:5432/pipeline');
    expect(config.HTTP_PORT).toBe(3000);
  });

  it('coerces numbers and keeps given values', () => {
    const config = parseEnv('test', shape, { HTTP_PORT: '8088', KAFKA_BROKERS: 'a:1,b:2' });
    expect(config.HTTP_PORT).toBe(8088);
    expect(config.KAFKA_BROKERS).toBe('a:1,b:2');
  });

  it('lists every invalid variable with what was given', () => {
    let error: unknown;
    try {
      parseEnv('ingest-producer', shape, { KAFKA_BROKERS: 'localhost', DATABASE_URL: 'mysql://x', HTTP_PORT: 'eighty' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const problems = (error as ConfigValidationError).problems.join('\n');
    expect(problems).toContain('KAFKA_BROKERS: must be host:port');
    expect(problems).toContain('(got "localhost")');
    expect(problems).toContain('DATABASE_URL: must be a postgres://');
    expect(problems).toContain('HTTP_PORT');
    expect((error as Error).message).toMatch(/^ingest-producer: invalid configuration/);
  });

  it('reports a required variable as not set', () => {
    expect(() => parseEnv('svc', { NAME: z.string() }, {})).toThrow(/NAME: .*\(not set\)/);
  });
});
