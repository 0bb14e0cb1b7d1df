import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

const QUIET_MS = 3000;

/**
 * Reads a topic from the beginning to its current end, read-committed, and hands each
 * record to `onRecord`. The end of a partition is its high watermark; on topics written
 * in transactions the last offset is a commit marker that is never delivered, hence
 * "high - 2", with 3 s of silence ending partitions whose tail was aborted.
 */
export async function readTopicToEnd(kafka: Kafka, topic: string, onRecord: (record: KafkaMessage, partition: number) => void): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const pending = new Map(offsets.filter((entry) => BigInt(entry.high) > BigInt(entry.low)).map((entry) => [entry.partition, BigInt(entry.high) - 2n]));
  if (pending.size === 0) return;

  const groupId = `${topic}.read-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let lastProgress = Date.now();
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        lastProgress = Date.now();
        onRecord(message, partition);
        const target = pending.get(partition);
        if (target !== undefined && BigInt(message.offset) >= target) pending.delete(partition);
      },
    });
    while (pending.size > 0 && Date.now() - lastProgress < QUIET_MS) await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    await consumer.disconnect();
    const cleanup = kafka.admin();
    await cleanup.connect();
    await cleanup
      .deleteGroups([groupId])
      .catch(() => undefined)
      .finally(() => cleanup.disconnect());
  }
}
