import { randomUUID } from 'node:crypto';
import { AssignerProtocol, type Consumer, type Kafka, type KafkaMessage, type PartitionAssigner } from 'kafkajs';
import { deleteGroupQuietly, withAdmin } from './admin';

/** A read that fetched nothing for this long is stuck (its consumer stopped fetching): it fails, retriable. */
const READ_STALL_MS = 60_000;

/** A read to the end that stopped moving: its consumer fetched nothing for `stalledForMs`. Retriable: read again. */
export class ReadStalledError extends Error {
  readonly retriable = true;
  readonly reasonClass = 'kafka';
  constructor(
    readonly topic: string,
    readonly partitions: readonly number[],
    readonly stalledForMs: number,
  ) {
    super(`reading ${topic} to its end: no progress for ${Math.round(stalledForMs / 1000)} s on partitions ${partitions.join(', ')} (the consumer stopped fetching); read again`);
    this.name = 'ReadStalledError';
  }
}

/** How long a whole-topic read may take before it fails naming the partitions it did not reach. */
const READ_TOPIC_TIMEOUT_MS = 120_000;

/**
 * Reads a topic from the beginning to the end offsets it has now (taken before reading),
 * read-committed, and hands each record to `onRecord`. It never relies on the topic going
 * quiet (on a loaded machine a group join alone can take seconds): every partition is read
 * until the fetch position passes its end offset, transaction markers and aborted tails
 * included. A read that has not got there within `timeoutMs` fails, naming the partitions.
 */
export async function readTopicToEnd(
  kafka: Kafka,
  topic: string,
  onRecord: (record: KafkaMessage, partition: number) => void,
  timeoutMs = READ_TOPIC_TIMEOUT_MS,
): Promise<void> {
  const offsets = await withAdmin(kafka, (admin) => admin.fetchTopicOffsets(topic));
  await readPartitionsToEnd(
    kafka,
    topic,
    offsets.map((entry) => entry.partition),
    onRecord,
    { timeoutMs },
  );
}

export interface ReadToEndOptions {
  /** Fails the read when it has not reached every end offset within this time. Default: no limit (a stalled read fails after a minute without a batch). */
  readonly timeoutMs?: number;
  /** Reads only each partition's last this many offsets (its newest records), not from its beginning. */
  readonly lastOffsets?: number;
}

/**
 * Reads the given partitions of a topic from their beginning (or their last `lastOffsets` offsets)
 * up to the end offset they have now (taken before reading: records appended later are not awaited), read-committed, and
 * hands each record to `onRecord` as it arrives. Only those partitions are fetched: the
 * throwaway group's assigner gives its one member exactly them. A partition whose last
 * offsets are transaction markers or aborted records ends when the fetch position passes them.
 */
export async function readPartitionsToEnd(
  kafka: Kafka,
  topic: string,
  partitions: readonly number[],
  onRecord: (record: KafkaMessage, partition: number) => void,
  { timeoutMs, lastOffsets }: ReadToEndOptions = {},
): Promise<void> {
  const offsets = await withAdmin(kafka, (admin) => admin.fetchTopicOffsets(topic));
  const pending = new Map<number, bigint>();
  /** Where each partition's read starts, when not at its beginning. */
  const startAt = new Map<number, bigint>();
  for (const entry of offsets) {
    const [low, high] = [BigInt(entry.low), BigInt(entry.high)];
    const start = lastOffsets === undefined || high - BigInt(lastOffsets) <= low ? low : high - BigInt(lastOffsets);
    if (!partitions.includes(entry.partition) || high <= start) continue;
    pending.set(entry.partition, high - 1n);
    if (start > low) startAt.set(entry.partition, start);
  }
  if (pending.size === 0) return;
  const wanted = [...pending.keys()];

  const groupId = `${topic}.restore-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: false, partitionAssigners: [onlyPartitionsAssigner(topic, wanted)], maxBytesPerPartition: 8 * 1024 * 1024 });
  let done: () => void = () => undefined;
  let stalled: (error: Error) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    done = resolve;
    stalled = reject;
  });
  // A consumer that stops fetching (seen after a broker restart: the group coordinator lost) would leave
  // the read waiting for ever; a read with no batch for READ_STALL_MS fails instead, and its caller retries.
  let lastProgressAt = Date.now();
  const watchdog = setInterval(() => {
    const quietMs = Date.now() - lastProgressAt;
    if (quietMs >= READ_STALL_MS) stalled(new ReadStalledError(topic, [...pending.keys()], quietMs));
  }, 1_000);
  watchdog.unref();
  // Handled here too: the watchdog may fire before the read awaits `finished` (the await still sees the error).
  finished.catch(() => undefined);
  const reached = (partition: number, offset: bigint) => {
    lastProgressAt = Date.now();
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
        // A fetch from inside a record batch may hand over the batch's earlier records too.
        const from = startAt.get(batch.partition);
        for (const message of batch.messages) if (from === undefined || BigInt(message.offset) >= from) onRecord(message, batch.partition);
        reached(batch.partition, BigInt(batch.lastOffset()));
      },
    });
    // kafkajs takes a seek once run() has joined; a fetch already under way for the partition is dropped.
    for (const [partition, offset] of startAt) consumer.seek({ topic, partition, offset: offset.toString() });
    if (timeoutMs === undefined) await finished;
    else await withDeadline(finished, timeoutMs, () => `reading ${topic} to its end: partitions ${[...pending.keys()].join(', ')} not reached within ${timeoutMs} ms`);
  } finally {
    clearInterval(watchdog);
    // A stuck consumer may not leave in time either: the read's outcome does not wait for more than 15 s.
    await Promise.race([leaveAndDeleteGroup(kafka, consumer, groupId).catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 15_000).unref())]);
  }
}

async function withDeadline(work: Promise<void>, timeoutMs: number, message: () => string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message())), timeoutMs)));
  try {
    await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
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
  await deleteGroupQuietly(kafka, groupId);
}
