/**
 * Proves the stack is real: Avro schema registered in the registry, a keyed record
 * produced idempotently with acks=all, consumed and decoded in a consumer group,
 * and a row written then read back in PostgreSQL through TypeORM.
 */
import { randomUUID } from 'node:crypto';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { createKafkaClient, createReliableProducer, createSchemaRegistry, ensureTopics, parseBrokerList, registerAvroSchema } from '@pipeline/kafka';
import { requiredEnv } from '@pipeline/config';


@Entity({ name: 'stack_probe' })
class StackProbeRow {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') note!: string;
  @Column('timestamptz') recordedAt!: Date;
}

describe('the local stack (real broker, registry and database)', () => {
  const runId = randomUUID();

  it('registers an Avro schema, produces a keyed record and consumes it decoded in a consumer group', async () => {
    const kafka = createKafkaClient({ brokers: parseBrokerList(requiredEnv('KAFKA_BROKERS')), clientId: 'stack-it' });
    const registry = createSchemaRegistry(requiredEnv('SCHEMA_REGISTRY_URL'));
    const topic = `stack-it-${runId}`;
    await ensureTopics(kafka, [{ topic, partitions: 3 }]);

    const schema = {
      type: 'record',
      name: 'StackProbe',
      namespace: 'pipeline.test',
      fields: [
        { name: 'sensorId', type: 'string' },
        { name: 'temperature', type: 'double' },
      ],
    };
    const schemaId = await registerAvroSchema(registry, `${topic}-value`, schema);
    expect(schemaId).toBeGreaterThan(0);

    const producer = createReliableProducer(kafka); // idempotent
    await producer.connect();
    const value = await registry.encode(schemaId, { sensorId: 'sensor-7', temperature: 21.5 });
    const [written] = await producer.send({ topic, acks: -1, messages: [{ key: 'sensor-7', value }] });
    await producer.disconnect();
    expect(written?.errorCode).toBe(0);

    const consumer = kafka.consumer({ groupId: `stack-it-${runId}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<{ key: string; decoded: unknown }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no record consumed within 30 s')), 30000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (!message.value) return;
          clearTimeout(timer);
          resolve({ key: message.key?.toString() ?? '', decoded: await registry.decode(message.value) });
        },
      });
    });
    await consumer.disconnect();

    expect(received.key).toBe('sensor-7');
    expect(received.decoded).toEqual({ sensorId: 'sensor-7', temperature: 21.5 });
  });

  it('writes and reads a row in PostgreSQL through TypeORM', async () => {
    // Imported lazily, as the stack lib itself loads the warehouse lib (postgres-server.ts).
    const { createWarehouseDataSource } = await import('@pipeline/warehouse');
    const dataSource = createWarehouseDataSource(requiredEnv('DATABASE_URL'), { entities: [StackProbeRow] });
    await dataSource.initialize();
    try {
      await dataSource.query('CREATE TABLE IF NOT EXISTS stack_probe (id uuid PRIMARY KEY, note text NOT NULL, "recordedAt" timestamptz NOT NULL)');
      const repository = dataSource.getRepository(StackProbeRow);
      const recordedAt = new Date('2026-01-02T03:04:05.678Z');
      await repository.save({ id: runId, note: 'hello warehouse', recordedAt });
      const row = await repository.findOneByOrFail({ id: runId });
      expect(row.note).toBe('hello warehouse');
      expect(row.recordedAt.toISOString()).toBe(recordedAt.toISOString());
      await repository.delete({ id: runId });
    } finally {
      await dataSource.destroy();
    }
  });
});
