/**
 * A real authenticated, encrypted connection: the local broker's SASL_SSL listener (its own CA,
 * SCRAM users), reached through the same settings path as the services (kafkaEnv → kafkaClusterFrom),
 * with hostname verification on. A wrong password and an untrusted certificate each give one line.
 */
import { randomUUID } from 'node:crypto';
import { kafkaEnv, parseEnv, requiredEnv } from '@pipeline/config';
import { checkKafkaConnection, createKafkaClient, createReliableProducer, ensureTopics, kafkaClusterFrom, kafkaDependency, readTopicToEnd, SecureConnectionError, SEND_DEFAULTS, type KafkaLogSink } from '../index';

function securedSettings(overrides: Record<string, string | undefined> = {}) {
  const raw = {
    KAFKA_BROKERS: requiredEnv('KAFKA_SASL_SSL_BROKERS'),
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
    KAFKA_SASL_USERNAME: requiredEnv('KAFKA_SASL_SSL_USERNAME'),
    KAFKA_SASL_PASSWORD: requiredEnv('KAFKA_SASL_SSL_PASSWORD'),
    KAFKA_SSL_CA_FILE: requiredEnv('KAFKA_SASL_SSL_CA_FILE'),
    ...overrides,
  };
  return kafkaClusterFrom(parseEnv('secured-it', kafkaEnv, raw));
}

async function failureOf(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('the SASL_SSL listener', () => {
  const run = randomUUID().slice(0, 8);

  it('produces and consumes with SCRAM-SHA-512 over TLS, the broker certificate verified against the CA file', async () => {
    const cluster = securedSettings();
    expect(cluster.security?.tls?.caFile).toBeDefined();
    const kafka = createKafkaClient({ ...cluster, clientId: `secured-it-${run}` });
    const topic = `secured-it-${run}`;
    await ensureTopics(kafka, [{ topic, partitions: 2 }]);
    const producer = createReliableProducer(kafka);
    await producer.connect();
    await producer.send({ ...SEND_DEFAULTS, topic, messages: [1, 2, 3].map((n) => ({ key: `k${n}`, value: `v${n}` })) });
    await producer.disconnect();
    const seen: string[] = [];
    await readTopicToEnd(kafka, topic, (record) => seen.push(record.value?.toString() ?? ''));
    expect(seen.sort()).toEqual(['v1', 'v2', 'v3']);
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).finally(() => admin.disconnect());
  });

  it('also takes SCRAM-SHA-256 and PLAIN', async () => {
    await checkKafkaConnection(securedSettings({ KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256' }), `secured-it-256-${run}`);
    await checkKafkaConnection(securedSettings({ KAFKA_SASL_MECHANISM: 'PLAIN' }), `secured-it-plain-${run}`);
  });

  it('refuses a wrong password with one line naming the authentication failure, never the password', async () => {
    const error = await failureOf(checkKafkaConnection(securedSettings({ KAFKA_SASL_PASSWORD: 'wrong-password-123' }), `secured-it-bad-${run}`));
    expect(error).toBeInstanceOf(SecureConnectionError);
    const { message, problem } = error as SecureConnectionError;
    expect(problem).toBe('authentication');
    expect(message).toMatch(/^Kafka 127\.0\.0\.1:\d+: authentication failed: invalid user name or password \[SASL_SSL, SCRAM-SHA-512 as "pipeline", CA file .*\]; check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD$/);
    expect(message).not.toContain('wrong-password-123');
  });

  it('refuses a broker certificate the client does not trust (system CAs only) with one line naming the certificate problem', async () => {
    const error = await failureOf(checkKafkaConnection(securedSettings({ KAFKA_SSL_CA_FILE: undefined }), `secured-it-ca-${run}`));
    expect(error).toBeInstanceOf(SecureConnectionError);
    const { message, problem } = error as SecureConnectionError;
    expect(problem).toBe('certificate');
    expect(message).toMatch(/^Kafka 127\.0\.0\.1:\d+: TLS certificate not trusted: .+; set KAFKA_SSL_CA_FILE/);
    expect(message).not.toContain('\n');
  });

  it('says an untrusted certificate once in the client log, and once in /health, however often kafkajs retries', async () => {
    const lines: Array<{ level: string; message: string }> = [];
    const sink: KafkaLogSink = (level, message) => lines.push({ level, message });
    const cluster = securedSettings({ KAFKA_SSL_CA_FILE: undefined });
    const kafka = createKafkaClient({ ...cluster, clientId: `secured-it-log-${run}`, log: sink }, { retry: { retries: 3, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await failureOf(admin.connect());
    expect(lines).toEqual([{ level: 'error', message: expect.stringMatching(/^Kafka 127\.0\.0\.1:\d+: TLS certificate not trusted: /) }]);

    const health = kafkaDependency(cluster, `secured-it-health-${run}`);
    const error = await failureOf(health.check());
    expect((error as Error).message).toMatch(/TLS certificate not trusted/);
    await health.close();
  });
});
