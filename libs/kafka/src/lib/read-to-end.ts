import { randomUUID } from 'node:crypto';
import { AssignerProtocol, type Consumer, type Kafka, type KafkaMessage, type PartitionAssigner } from 'kafkajs';

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
    await leaveAndDeleteGroup(kafka, consumer, groupId);
  }
}

/**
 * Reads the given partitions of a topic from their beginning up to the end offset they have
 * now (taken before reading: records appended later are not awaited), read-committed, and
 * hands each record to `onRecord` as it arrives. Only those partitions are fetched: the
 * throwaway group's assigner gives its one member exactly them. A partition whose last
 * offsets are transaction markers or aborted records ends when the fetch position passes them.
 */
export async function readPartitionsToEnd(
  kafka: Kafka,
  topic: string,
  partitions: readonly number[],
  onRecord: (record: KafkaMessage, partition: number) => void,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const pending = new Map<number, bigint>();
  for (const entry of offsets) {
    if (partitions.includes(entry.partition) && BigInt(entry.high) > BigInt(entry.low)) pending.set(entry.partition, BigInt(entry.high) - 1n);
  }
  if (pending.size === 0) return;
  const wanted = [...pending.keys()];

  const groupId = `${topic}.restore-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: false, partitionAssigners: [onlyPartitionsAssigner(topic, wanted)], maxBytesPerPartition: 8 * 1024 * 1024 });
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const reached = (partition: number, offset: bigint) => {
    const target = pending.get(partition);
    if (target !== undefined && offset >= target) pending.delete(partition);
    if (pending.size === 0) done();
  };
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => reached(payload.partition, BigInt(payload.lastOffset)));
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatchAutoResolve: true,
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) onRecord(message, batch.partition);
        reached(batch.partition, BigInt(batch.lastOffset()));
      },
    });
    await finished;
  } finally {
    await leaveAndDeleteGroup(kafka, consumer, groupId);
  }
}

/** A partition assigner that gives the group's (single) member exactly these partitions. */
function onlyPartitionsAssigner(topic: string, partitions: readonly number[]): PartitionAssigner {
  return () => ({
    name: 'OnlyPartitions',
    version: 1,
    async assign({ members }) {
      return members.map((member, index) => ({
        memberId: member.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: index === 0 ? { [topic]: [...partitions] } : {}, userData: Buffer.alloc(0) }),
      }));
    },
    protocol({ topics }) {
      return { name: 'OnlyPartitions', metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }) };
    },
  });
}

/** A throwaway reader leaves and removes its group, so reads leave nothing behind in the cluster. */
async function leaveAndDeleteGroup(kafka: Kafka, consumer: Consumer, groupId: string): Promise<void> {
  await consumer.disconnect();
  const cleanup = kafka.admin();
  await cleanup.connect();
  await cleanup
    .deleteGroups([groupId])
    .catch(() => undefined)
    .finally(() => cleanup.disconnect());
}
