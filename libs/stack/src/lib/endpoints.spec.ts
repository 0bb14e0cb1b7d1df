import { endpointsGivenIn, isComplete, parseEnvFile, toEnvFile } from './endpoints';

describe('stack endpoints', () => {
  it('takes only the non-blank endpoint variables from the environment', () => {
    expect(endpointsGivenIn({ KAFKA_BROKERS: ' k:1 ', DATABASE_URL: '', OTHER: 'x' })).toEqual({ KAFKA_BROKERS: 'k:1' });
  });

  it('knows when all three endpoints are given', () => {
    expect(isComplete({ KAFKA_BROKERS: 'k:1', SCHEMA_REGISTRY_URL: 'http://r' })).toBe(false);
    expect(isComplete({ KAFKA_BROKERS: 'k:1', SCHEMA_REGISTRY_URL: 'http://r', DATABASE_URL: 'postgres://d' })).toBe(true);
  });

  it('round-trips through the env file', () => {
    const endpoints = { KAFKA_BROKERS: 'k:1', SCHEMA_REGISTRY_URL: 'http://r:8081/apis/ccompat/v7', DATABASE_URL: 'postgres://u:p@h:5432/d' };
    expect(parseEnvFile(toEnvFile(endpoints))).toEqual(endpoints);
  });

  it('ignores comments and blank lines in an env file', () => {
    expect(parseEnvFile('# comment\n\nKAFKA_BROKERS=a:1\n')).toEqual({ KAFKA_BROKERS: 'a:1' });
  });
});
