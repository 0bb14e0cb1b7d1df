import type { Kafka, Producer, Transaction } from 'kafkajs';
import { withAdmin } from './admin';
import { kafkaErrorType } from './topics';

export interface LeftoverScope {
  /** Every topic (all its partitions, as the broker has them) an earlier producer of this transactional id may have written to. */
  readonly topics: readonly string[];
  /** The consumer group whose offsets its transactions committed. */
  readonly offsets?: { readonly groupId: string };
}

/**
 * Takes a transactional id over before anything committed is read: initialises it, which fences every
 * earlier producer of the id and completes or aborts its open transaction (kafkajs sends InitProducerId at
 * a producer's first transaction(), not at connect(); an empty transaction aborts locally, without a
 * request), then, given the partitions the id writes to, settles what a broker restart left hanging there.
 */
export async function takeOverTransactionalId(kafka: Kafka, producer: Producer, writesTo?: LeftoverScope): Promise<void> {
  await (await producer.transaction()).abort();
  if (writesTo) await settleLeftovers(kafka, producer, writesTo);
}

/** kafkajs' transaction with the pipeline's patch: partitions added without records (patches/kafkajs+2.2.4.patch). */
interface SettlingTransaction extends Transaction {
  addPartitions(request: { topics: Array<{ topic: string; partitions: Array<{ partition: number }> }>; consumerGroupId?: string }): Promise<void>;
}

function isSettling(transaction: Transaction): transaction is SettlingTransaction {
  return typeof (transaction as Partial<SettlingTransaction>).addPartitions === 'function';
}

/**
 * Ends, as committed, anything an earlier producer of this transactional id left open on the partitions it
 * writes to. Call it right after the id is (re)initialised, before reading what was committed.
 *
 * Why: InitProducerId normally completes or aborts the earlier transaction before it returns. But a broker
 * restarting after kill -9 can complete a transaction in its log without writing the transaction's markers
 * to some or all of its partitions (measured on Kafka 4.4, single node: the coordinator loaded its state before
 * the broker's metadata had the partitions' leaders and logged "Couldn't find leader endpoint for partitions …
 * likely deleted already and hence can be skipped"). Such a hanging transaction stays open on those partitions,
 * invisible to read_committed readers, until the next marker of the same producer id there decides its fate.
 *
 * The transaction caught that way was committing: the coordinator had logged PrepareCommit, and the broker
 * died while it wrote the markers (a commit is what happens many times a second; an abort only after a failure).
 * Its markers may have reached some partitions and not others. Committing the rest is the one outcome that
 * agrees with both: a job's position or a group's offsets already committed (the records after them must not be
 * lost: aborting them lost three IoT readings in a chaos run), or still hanging too (then they are committed
 * together with their records, before the position is read, and nothing is sent twice).
 *
 * How: one transaction that adds every partition of the scope, and the group's offsets partition, without
 * writing a record there (the pipeline's kafkajs patch), and commits: a commit marker of the producer id on each.
 * On a partition with nothing open the marker settles nothing; nothing new becomes visible. The marker also moves
 * each partition's high watermark to its log end, which a restarted broker can report short of it until the
 * partition's next write: a read to the end that follows does not stop early.
 */
export async function settleLeftovers(kafka: Kafka, producer: Producer, scope: LeftoverScope): Promise<void> {
  const topics = (await partitionsOf(kafka, [...new Set(scope.topics)])).map(({ topic, partitions }) => ({ topic, partitions: partitions.map((partition) => ({ partition })) }));
  if (topics.length === 0 && !scope.offsets) return;
  const transaction = await producer.transaction();
  if (!isSettling(transaction)) {
    await transaction.abort();
    throw new Error('kafkajs is not patched (transaction.addPartitions is missing): run npm install, which applies patches/kafkajs+2.2.4.patch');
  }
  try {
    await transaction.addPartitions({ topics, consumerGroupId: scope.offsets?.groupId });
  } catch (error) {
    await transaction.abort().catch(() => undefined);
    throw error;
  }
  await transaction.commit();
}

/**
 * The partitions each topic has on the broker (not as configured: a topic made earlier may have more).
 * A topic the broker does not have holds nothing open, and is left out. One metadata request of just
 * these topics (a cluster's other topics, however many, and their leaders' state do not matter here); only
 * when the broker does not have one of them, one request of every topic, to leave that one out.
 */
async function partitionsOf(kafka: Kafka, topics: readonly string[]): Promise<Array<{ topic: string; partitions: number[] }>> {
  if (topics.length === 0) return [];
  const wanted = new Set(topics);
  const { topics: described } = await withAdmin(kafka, (admin) =>
    admin.fetchTopicMetadata({ topics: [...wanted] }).catch((error: unknown) => {
      if (kafkaErrorType(error) === 'UNKNOWN_TOPIC_OR_PARTITION') return admin.fetchTopicMetadata();
      throw error;
    }),
  );
  return described.filter((topic) => wanted.has(topic.name)).map((topic) => ({ topic: topic.name, partitions: topic.partitions.map((partition) => partition.partitionId) }));
}
