import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

const QUIET_MS = 3000;
/** After the record before the last offset, a silence this long means the last offset is a transaction marker. */
const MARKER_QUIET_MS = 500;

/**
 * Reads a topic from the beginning to its current end, read-committed, and hands each
 * record to `onRecord`. A partition ends at its last offset (high watermark - 1). On
 * topics written in transactions that offset may be a commit marker, never delivered:
 * having reached the offset before it, a short silence ends the partition too; 3 s of
 * silence ends partitions whose tail was aborted.
 */
export async function readTopicToEnd(kafka: Kafka, topic: string, onRecord: (record: KafkaMessage, partition: number) => void): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const pending = new Map(offsets.filter((entry) => BigInt(entry.high) > BigInt(entry.low)).map((entry) => [entry.partition, BigInt(entry.high) - 1n]));
  const reached = new Map<number, bigint>();
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
        reached.set(partition, BigInt(message.offset));
        const target = pending.get(partition);
        if (target !== undefined && BigInt(message.offset) >= target) pending.delete(partition);
      },
    });
    const onlyMarkersLeft = () => [...pending].every(([partition, last]) => (reached.get(partition) ?? -1n) >= last - 1n);
    for (;;) {
      const quietFor = Date.now() - lastProgress;
      if (pending.size === 0 || quietFor >= QUIET_MS || (quietFor >= MARKER_QUIET_MS && onlyMarkersLeft())) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
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
