import type { Kafka, Message, Producer } from 'kafkajs';

/** Key of the placeholder records: compacted topics refuse records without a key. They are aborted, so no reader ever sees them. */
export const LEFTOVER_PROBE_KEY = 'pipeline:abort-leftovers';

export interface LeftoverScope {
  /** Every topic (all its partitions, as the broker has them) an earlier producer of this transactional id may have written to. */
  readonly topics: readonly string[];
  /** The consumer group whose offsets its transactions committed, with one of the input partitions. */
  readonly offsets?: { readonly groupId: string; readonly topic: string; readonly partition: number };
}

/**
 * Takes a transactional id over before anything committed is read: initialises it, which fences every
 * earlier producer of the id and completes or aborts its open transaction (kafkajs sends InitProducerId at
 * a producer's first transaction(), not at connect(); an empty transaction aborts locally, without a
 * request), then, given the partitions the id writes to, aborts what a broker restart left hanging there.
 */
export async function takeOverTransactionalId(kafka: Kafka, producer: Producer, writesTo?: LeftoverScope): Promise<void> {
  await (await producer.transaction()).abort();
  if (writesTo) await abortLeftovers(kafka, producer, writesTo);
}

/**
 * Ends, as aborted, anything an earlier producer of this transactional id left open on the partitions it
 * writes to. Call it right after the id is (re)initialised, before reading what was committed.
 *
 * Why: InitProducerId normally completes or aborts the earlier transaction before it returns. But a broker
 * restarting after kill -9 can complete a transaction in its log without writing the transaction's markers
 * to the partitions (measured on Kafka 4.4, single node: the coordinator loaded its state before the
 * broker's metadata had the partitions' leaders and logged "Couldn't find leader endpoint for partitions …
 * likely deleted already and hence can be skipped"). Such a hanging transaction stays open on its partitions,
 * invisible to read_committed readers, until the next marker of the same producer id there, which then
 * decides its fate: a commit made it visible after the new run had resumed without it, so its records were
 * sent twice. An aborted transaction on every partition (and the group's offsets) settles it first: its
 * records, its position and its offsets go together, and the resume that follows redoes them exactly once.
 * On a partition with nothing open this is one aborted placeholder record. The placeholder also moves each
 * partition's high watermark to its log end, which a restarted broker can report short of it until the
 * partition's next write: a read to the end that follows does not stop early.
 */
export async function abortLeftovers(kafka: Kafka, producer: Producer, scope: LeftoverScope): Promise<void> {
  const topicMessages = (await partitionsOf(kafka, [...new Set(scope.topics)])).map(({ topic, partitions }) => ({
    topic,
    messages: partitions.map((partition): Message => ({ key: LEFTOVER_PROBE_KEY, value: null, partition })),
  }));
  if (topicMessages.length === 0 && !scope.offsets) return;
  const transaction = await producer.transaction();
  try {
    if (topicMessages.length > 0) await transaction.sendBatch({ acks: -1, topicMessages });
    if (scope.offsets) {
      const { groupId, topic, partition } = scope.offsets;
      // Any offset: it is aborted. What matters is the abort marker on the group's offsets partition.
      await transaction.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition, offset: '0' }] }] });
    }
  } catch (error) {
    await transaction.abort().catch(() => undefined);
    throw error;
  }
  await transaction.abort();
}

/**
 * The partitions each topic has on the broker (not as configured: a topic made earlier may have more).
 * A topic the broker does not have holds nothing open, and is left out. One metadata request (of every
 * topic: naming a missing one would fail it).
 */
async function partitionsOf(kafka: Kafka, topics: readonly string[]): Promise<Array<{ topic: string; partitions: number[] }>> {
  if (topics.length === 0) return [];
  const wanted = new Set(topics);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics: described } = await admin.fetchTopicMetadata();
    return described.filter((topic) => wanted.has(topic.name)).map((topic) => ({ topic: topic.name, partitions: topic.partitions.map((partition) => partition.partitionId) }));
  } finally {
    await admin.disconnect();
  }
}
