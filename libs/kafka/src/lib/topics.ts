import type { Kafka } from 'kafkajs';
import { withAdmin } from './admin';

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** Extra topic configs, e.g. { 'cleanup.policy': 'compact' }. */
  config?: Record<string, string>;
}

/**
 * Creates the topics that do not exist yet. Existing topics are left as they are
 * (a partition count is never changed behind the operator's back).
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[]): Promise<void> {
  await withAdmin(kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    // A topic may be named twice (two stages writing one topic); create it once.
    const unique = [...new Map(specs.map((spec) => [spec.topic, spec])).values()];
    const missing = unique.filter((spec) => !existing.has(spec.topic));
    if (missing.length === 0) return;
    const topics = missing.map((spec) => ({
      topic: spec.topic,
      numPartitions: spec.partitions,
      replicationFactor: -1, // broker default: 1 locally, 3 on a real cluster
      configEntries: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
    }));
    await whileMetadataLags(() => admin.createTopics({ waitForLeaders: true, topics }));
    // A retried creation finds the topics there and skips kafkajs' wait for leaders: wait here.
    await whileMetadataLags(async () => {
      const { topics: described } = await admin.fetchTopicMetadata({ topics: missing.map((spec) => spec.topic) });
      const leaderless = described.filter((topic) => topic.partitions.some((partition) => partition.leader < 0));
      if (leaderless.length > 0) throw new TopicMetadataLagError(leaderless.map((topic) => topic.name));
    });
  });
}

/** A topic just created whose partitions have no leader yet in the broker's metadata. */
class TopicMetadataLagError extends Error {
  readonly type = 'LEADER_NOT_AVAILABLE';
  constructor(topics: readonly string[]) {
    super(`topics without partition leaders yet: ${topics.join(', ')}`);
    this.name = 'TopicMetadataLagError';
  }
}

/** The Kafka error code's name on a kafkajs protocol error (`UNKNOWN_TOPIC_OR_PARTITION`, …); undefined on anything else. */
export function kafkaErrorType(error: unknown): string | undefined {
  const type = typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? type : undefined;
}

/**
 * The broker answers metadata from a cache updated after a topic is created, so right after a
 * creation (ours, or another replica's at the same moment) it can still say the topic does not exist
 * or has no leader. kafkajs' own wait retries only the second: both are retried here, briefly.
 */
async function whileMetadataLags(step: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await step();
      return;
    } catch (error) {
      const type = kafkaErrorType(error);
      if (attempt >= 25 || (type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE')) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * attempt)));
    }
  }
}
