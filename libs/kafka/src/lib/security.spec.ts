import { explainKafkaError, explainRegistryError, SecureConnectionError } from './connection-errors';
import { describeSecurity, kafkaClusterFrom, kafkajsSecurity, schemaRegistryFrom } from './security';

describe('kafkaClusterFrom', () => {
  it('maps SASL_SSL settings to kafkajs options with hostname verification on', () => {
    const cluster = kafkaClusterFrom({ KAFKA_BROKERS: 'a:9094,b:9094', KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD: 'pw' });
    expect(cluster.brokers).toEqual(['a:9094', 'b:9094']);
    const options = kafkajsSecurity(cluster.security);
    expect(options.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'alice', password: 'pw' });
    expect(options.ssl).toEqual({ rejectUnauthorized: true });
    expect(describeSecurity(cluster.security)).toBe('SASL_SSL, SCRAM-SHA-512 as "alice", system CAs');
  });

  it('gives no TLS and no SASL for PLAINTEXT', () => {
    expect(kafkajsSecurity(kafkaClusterFrom({ KAFKA_BROKERS: 'a:1' }).security)).toEqual({});
  });
});

describe('schemaRegistryFrom', () => {
  it('takes basic auth from the URL and keeps it out of the URL', () => {
    expect(schemaRegistryFrom({ SCHEMA_REGISTRY_URL: 'https://key:s%40cret@registry.example:443/' })).toEqual({
      url: 'https://registry.example',
      auth: { username: 'key', password: 's@cret' },
      tls: { caFile: undefined, certFile: undefined, keyFile: undefined },
    });
  });

  it('takes basic auth from SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO (the secret may hold ":")', () => {
    expect(schemaRegistryFrom({ SCHEMA_REGISTRY_URL: 'http://r:8081/apis/ccompat/v7', SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: 'key:se:cret' })).toEqual({
      url: 'http://r:8081/apis/ccompat/v7',
      auth: { username: 'key', password: 'se:cret' },
      tls: undefined,
    });
  });
});

describe('explaining connection failures in one line', () => {
  const security = { protocol: 'SASL_SSL' as const, sasl: { mechanism: 'SCRAM-SHA-512' as const, username: 'alice', password: 'pw' }, tls: {} };

  it('names an authentication failure and the settings to check, never the password', () => {
    const error = Object.assign(new Error('SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials'), { name: 'KafkaJSSASLAuthenticationError' });
    const explained = explainKafkaError(error, ['b:9094'], security);
    expect(explained).toBeInstanceOf(SecureConnectionError);
    expect(explained?.problem).toBe('authentication');
    expect(explained?.message).toBe('Kafka b:9094: authentication failed: invalid user name or password [SASL_SSL, SCRAM-SHA-512 as "alice", system CAs]; check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD');
    expect(explained?.message).not.toContain('\n');
  });

  it('names an untrusted certificate', () => {
    const error = Object.assign(new Error('Connection error: self-signed certificate in certificate chain'), { name: 'KafkaJSConnectionError', broker: 'b:9094', code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    expect(explainKafkaError(error, ['b:9094'], security)?.message).toMatch(/^Kafka b:9094: TLS certificate not trusted: self-signed certificate in certificate chain \(SELF_SIGNED_CERT_IN_CHAIN\) .*KAFKA_SSL_CA_FILE/);
  });

  it('leaves other failures alone', () => {
    expect(explainKafkaError(new Error('Connection timeout'), ['b:9094'], security)).toBeUndefined();
    expect(explainRegistryError(Object.assign(new Error('Not found'), { status: 404 }), 'http://r')).toBeUndefined();
  });

  it('names refused registry credentials', () => {
    expect(explainRegistryError(Object.assign(new Error('Unauthorized'), { status: 401 }), 'https://r')?.message).toContain('schema registry https://r: authentication failed (HTTP 401)');
  });
});
