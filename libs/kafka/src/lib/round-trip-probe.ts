import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { fastDefaultPartitioner } from './partitioner';
import { deleteGroupQuietly } from './admin';
import { ensureTopics } from './topics';

export const PROBE_TOPIC = '__pipeline_probe';

/**
 * Proves a broker really works end to end: the probe topic exists (created if
 * missing), a record is produced with acks=all and read back through a
 * fresh consumer group (so group coordination is exercised too).
 * Used by the local stack's readiness wait and the apps' health checks.
 */
export async function kafkaRoundTrip(kafka: Kafka, timeoutMs = 15000): Promise<void> {
  await ensureTopics(kafka, [{ topic: PROBE_TOPIC, partitions: 1, config: { 'retention.ms': '3600000' } }]);
  const marker = randomUUID();
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: fastDefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic: PROBE_TOPIC, acks: -1, messages: [{ value: marker }] });
  } finally {
    await producer.disconnect();
  }
  await readBack(kafka, marker, timeoutMs);
}

async function readBack(kafka: Kafka, marker: string, timeoutMs: number): Promise<void> {
  const consumer = kafka.consumer({ groupId: `__pipeline_probe_${marker}` });
  await consumer.connect();
  try {
    // The probe topic keeps an hour of markers, so reading it whole stays cheap.
    await consumer.subscribe({ topic: PROBE_TOPIC, fromBeginning: true });
    const seen = new Promise<void>((resolve) => {
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          if (message.value?.toString() === marker) resolve();
        },
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`probe record not consumed within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([seen, timeout]).finally(() => clearTimeout(timer));
  } finally {
    await consumer.disconnect();
    await deleteGroupQuietly(kafka, `__pipeline_probe_${marker}`);
  }
}
