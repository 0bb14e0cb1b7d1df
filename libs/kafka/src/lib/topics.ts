import type { Kafka } from 'kafkajs';

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
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    // A topic may be named twice (two stages writing one topic); create it once.
    const unique = [...new Map(specs.map((spec) => [spec.topic, spec])).values()];
    const missing = unique.filter((spec) => !existing.has(spec.topic));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((spec) => ({
        topic: spec.topic,
        numPartitions: spec.partitions,
        replicationFactor: -1, // broker default: 1 locally, 3 on a real cluster
        configEntries: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
  } finally {
    await admin.disconnect();
  }
}
