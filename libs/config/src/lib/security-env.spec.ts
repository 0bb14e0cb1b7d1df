import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigValidationError, endpointEnv, kafkaEnv, parseEnv, schemaRegistryEnv } from './env-schema';
import { redactCredentials } from './redact';
import { databaseSecurityProblems, LOCAL_DEFAULT_PASSWORDS } from './security-env';

function problemsOf(shape: Parameters<typeof parseEnv>[1], raw: Record<string, unknown>): string {
  try {
    parseEnv('svc', shape, raw);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigValidationError');
}

describe('credentials never reach a config error', () => {
  const shape = { ...endpointEnv, ...kafkaEnv, ...schemaRegistryEnv };

  it('hides the password of a bad DATABASE_URL, a bad registry URL and broker list', () => {
    const message = problemsOf(shape, {
      DATABASE_URL: 'mysql://warehouse:s3cr3t-db@db:3306/pipeline',
      SCHEMA_REGISTRY_URL: 'ftp://key:s3cr3t-registry@registry',
      KAFKA_BROKERS: 'alice:s3cr3t-kafka@broker',
    });
    expect(message).toContain('DATABASE_URL: must be a postgres://');
    expect(message).toContain('mysql://warehouse:***@db:3306/pipeline');
    expect(message).toContain('ftp://key:***@registry');
    expect(message).toContain('alice:***@broker');
    expect(message).not.toMatch(/s3cr3t/);
  });

  it('hides a password holding "@" or "/" whole', () => {
    const message = problemsOf(shape, { DATABASE_URL: 'postgres//user:p@ss/w@rd@db/pipeline' });
    expect(message).toContain('postgres//user:***@db/pipeline');
    expect(message).not.toMatch(/p@ss|w@rd/);
  });

  it('never echoes a secret setting, not even when it is invalid', () => {
    const message = problemsOf(shape, { SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: 'no-colon-s3cr3t' });
    expect(message).toContain('SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: must be <user>:<password>');
    expect(message).toContain('(got (hidden))');
    expect(message).not.toContain('s3cr3t');
  });
});

describe('redactCredentials', () => {
  it('keeps text without credentials as it is', () => {
    const text = 'no answer from http://127.0.0.1:8081/apis/ccompat/v7/subjects (node_modules/@pipeline/x:3)';
    expect(redactCredentials(text)).toBe(text);
  });

  it('hides every URL password of a line', () => {
    expect(redactCredentials('a postgres://u:pw1@h/db and "https://k:pw2@r:443"')).toBe('a postgres://u:***@h/db and "https://k:***@r:443"');
  });
});

describe('Kafka security settings', () => {
  const pem = join(mkdtempSync(join(tmpdir(), 'config-pem-')), 'ca.pem');
  writeFileSync(pem, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');

  it('default to PLAINTEXT with nothing set (the local stack)', () => {
    expect(parseEnv('svc', kafkaEnv, {})).toMatchObject({ KAFKA_BROKERS: '127.0.0.1:9092', KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT', KAFKA_ALLOW_PLAINTEXT: false });
  });

  it('take SASL_SSL with SCRAM and a CA file', () => {
    const config = parseEnv('svc', kafkaEnv, {
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'alice',
      KAFKA_SASL_PASSWORD: 'secret',
      KAFKA_SSL_CA_FILE: pem,
    });
    expect(config).toMatchObject({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SSL_CA_FILE: pem });
  });

  it('name each missing SASL setting, without the password', () => {
    const message = problemsOf(kafkaEnv, { KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_PASSWORD: 'hunter2' });
    expect(message).toContain('KAFKA_SASL_MECHANISM: required with KAFKA_SECURITY_PROTOCOL=SASL_SSL');
    expect(message).toContain('KAFKA_SASL_USERNAME: required');
    expect(message).not.toContain('hunter2');
  });

  it('refuse settings the protocol would ignore', () => {
    expect(problemsOf(kafkaEnv, { KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD: 'x' })).toContain('KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not authenticate; set KAFKA_SECURITY_PROTOCOL=SASL_SSL');
    expect(problemsOf(kafkaEnv, { KAFKA_SSL_CA_FILE: pem })).toContain('KAFKA_SSL_CA_FILE: set, but KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not use TLS; set KAFKA_SECURITY_PROTOCOL=SSL');
    expect(problemsOf(kafkaEnv, { KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CERT_FILE: pem })).toContain('a client certificate needs both');
  });

  it('refuse a PEM file that cannot be read', () => {
    expect(problemsOf(kafkaEnv, { KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: '/nowhere/ca.pem' })).toContain('KAFKA_SSL_CA_FILE: must be a readable file (PEM) (got "/nowhere/ca.pem")');
  });

  it('refuse plaintext in production unless explicitly allowed, and PLAIN passwords in clear always', () => {
    expect(problemsOf(kafkaEnv, { NODE_ENV: 'production' })).toContain('PLAINTEXT is unencrypted and NODE_ENV=production');
    expect(parseEnv('svc', kafkaEnv, { NODE_ENV: 'production', KAFKA_ALLOW_PLAINTEXT: 'true' }).KAFKA_ALLOW_PLAINTEXT).toBe(true);
    const plain = { NODE_ENV: 'production', KAFKA_ALLOW_PLAINTEXT: 'true', KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SASL_USERNAME: 'a', KAFKA_SASL_PASSWORD: 'b' };
    expect(problemsOf(kafkaEnv, plain)).toContain('sends the password in clear text');
  });
});

describe('schema registry security settings', () => {
  it('refuse credentials given twice, and basic auth over http in production', () => {
    expect(problemsOf(schemaRegistryEnv, { SCHEMA_REGISTRY_URL: 'https://k:s@registry', SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: 'k:s' })).toContain('give them once');
    const message = problemsOf(schemaRegistryEnv, { NODE_ENV: 'production', SCHEMA_REGISTRY_URL: 'http://registry:8081', SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: 'k:s3cr3t' });
    expect(message).toContain('basic auth over http');
    expect(message).not.toContain('s3cr3t');
  });
});

describe('databaseSecurityProblems', () => {
  it('refuses the local default passwords and a missing one only with NODE_ENV=production', () => {
    const local = 'postgres://pipeline:pipeline@127.0.0.1:5432/pipeline';
    expect(databaseSecurityProblems({ DATABASE_URL: local })).toEqual([]);
    expect(databaseSecurityProblems({ NODE_ENV: 'production', DATABASE_URL: local })).toEqual([expect.stringContaining('DATABASE_URL: uses a default password')]);
    expect(databaseSecurityProblems({ NODE_ENV: 'production', DATABASE_URL: 'postgres://w:Long-Own-Secret@db/pipeline' })).toEqual([]);
    expect(databaseSecurityProblems({ NODE_ENV: 'production', DATABASE_URL: 'postgres://w:Long-Own-Secret@db/pipeline', WAREHOUSE_BI_READER_PASSWORD: LOCAL_DEFAULT_PASSWORDS.biReader })).toEqual([
      expect.stringContaining('WAREHOUSE_BI_READER_PASSWORD: is a default password'),
    ]);
  });
});
