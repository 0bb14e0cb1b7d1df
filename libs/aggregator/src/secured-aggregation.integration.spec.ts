/**
 * The aggregator through the broker's SASL_SSL listener (SCRAM-SHA-512, CA file, hostname
 * verification on): the client comes from the same settings as the service's (kafkaEnv →
 * kafkaClusterFrom); the runtime only uses the client it is given.
 */
import { randomUUID } from 'node:crypto';
import { kafkaEnv, parseEnv, requiredEnv } from '@pipeline/config';
import * as contracts from '@pipeline/contracts';
import * as kafkaLib from '@pipeline/kafka';
import type { Kafka, SchemaRegistry } from '@pipeline/kafka';
import { iotPipeline as iotTemplate } from '@pipeline/pipelines';
import { createPipelineServer } from './index';

// Topics and subjects of this run only.
const run = randomUUID().slice(0, 8);
const topics = contracts.TopicNamespace.of(`secured-agg-${run}.`);

const quiet = { log: () => undefined, warn: () => undefined, error: (message: string) => process.stderr.write(`${message}\n`) };

describe('aggregating through the SASL_SSL listener', () => {
  it('consumes readings and commits window aggregates with SCRAM-SHA-512 over TLS', async () => {
    const { avroBindingOf } = contracts;
    const sensorReadingsTopic = topics.bind(contracts.sensorReadingsTopic);
    const sensorWindowStatsTopic = topics.bind(contracts.sensorWindowStatsTopic);
    const iotPipeline = iotTemplate.resolve(topics);
    const cluster = kafkaLib.kafkaClusterFrom(
      parseEnv('secured-aggregation-it', kafkaEnv, {
        KAFKA_BROKERS: requiredEnv('KAFKA_SASL_SSL_BROKERS'),
        KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: requiredEnv('KAFKA_SASL_SSL_USERNAME'),
        KAFKA_SASL_PASSWORD: requiredEnv('KAFKA_SASL_SSL_PASSWORD'),
        KAFKA_SSL_CA_FILE: requiredEnv('KAFKA_SASL_SSL_CA_FILE'),
      }),
    );
    const kafka: Kafka = kafkaLib.createKafkaClient({ ...cluster, clientId: `secured-agg-${run}`, log: () => undefined });
    const registry: SchemaRegistry = kafkaLib.createSchemaRegistry(requiredEnv('SCHEMA_REGISTRY_URL'));

    // 10 sensors over 8 minutes of event time: 1-minute windows close while the run goes on.
    await kafkaLib.ensureTopics(kafka, [{ topic: sensorReadingsTopic.topic, partitions: sensorReadingsTopic.partitions }]);
    const codec = await kafkaLib.createAvroCodec(registry, avroBindingOf(sensorReadingsTopic));
    const base = Date.UTC(2024, 0, 1);
    const messages: Array<{ key: string; value: Buffer }> = [];
    for (let index = 0; index < 480; index += 1) {
      const reading = { sensorId: `sensor-${index % 10}`, timestamp: base + index * 1000, temperature: 21, humidity: 50, pressure: 1000, location: { latitude: 52, longitude: 13 }, batteryLevel: 0.9 };
      messages.push({ key: sensorReadingsTopic.key(reading), value: await codec.encode(reading) });
    }
    const producer = kafkaLib.createReliableProducer(kafka);
    await producer.connect();
    await producer.send({ ...kafkaLib.SEND_DEFAULTS, topic: sensorReadingsTopic.topic, messages });
    await producer.disconnect();

    const { server, handler } = createPipelineServer(kafka, registry, iotPipeline, { groupId: `secured-agg-${run}`, logger: quiet });
    await new Promise<void>((resolve, reject) => void server.listen((error?: unknown) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve())));
    try {
      const deadline = Date.now() + 90_000;
      while (handler.counters.events < messages.length || handler.counters.outputRecords === 0) {
        if (Date.now() > deadline) throw new Error(`aggregated ${handler.counters.events} of ${messages.length} events, ${handler.counters.outputRecords} outputs`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await server.close();
    }
    // What the transactions committed, read back through the secured listener.
    const windows: string[] = [];
    await kafkaLib.readTopicToEnd(kafka, sensorWindowStatsTopic.topic, (record) => windows.push(record.key?.toString() ?? ''));
    expect(windows.length).toBeGreaterThan(0);
    expect(windows.some((key) => key.includes('sensor-3'))).toBe(true);
  });
});
