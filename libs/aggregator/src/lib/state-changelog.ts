import { namespacedTopic } from '@pipeline/contracts';
import { readTopicToEnd, type Kafka, type TopicSpec } from '@pipeline/kafka';

/**
 * Engine state is persisted to a compacted changelog topic, one record per
 * (pipeline, input partition), written in the same Kafka transaction as the output
 * records and the consumer offsets. A restart or a rebalance restores exactly the
 * state that matches the committed offset.
 */
export function changelogTopic(groupId: string, inputPartitions: number): TopicSpec {
  return {
    // Namespaced like the input: a run in another namespace must never restore this one's state.
    topic: namespacedTopic(`${groupId}.state-changelog`),
    partitions: inputPartitions,
    config: {
      'cleanup.policy': 'compact',
      // Compact soon: only the newest snapshot of each partition matters.
      'segment.ms': '60000',
      'min.cleanable.dirty.ratio': '0.1',
      'max.message.bytes': '67108864',
    },
  };
}

export function changelogKey(pipeline: string, partition: number): string {
  return `${pipeline}|${partition}`;
}

/** Snapshots of every windowed stage of one pipeline partition, as one record value. */
export function encodeStageSnapshots(snapshots: Record<string, Uint8Array>): Buffer {
  const encoded = Object.fromEntries(Object.entries(snapshots).map(([stage, bytes]) => [stage, Buffer.from(bytes).toString('base64')]));
  return Buffer.from(JSON.stringify({ version: 1, stages: encoded }));
}

export class ChangelogCorruptError extends Error {
  constructor(key: string, reason: string) {
    super(`state changelog record ${key} is unreadable: ${reason}`);
    this.name = 'ChangelogCorruptError';
  }
}

export function decodeStageSnapshots(key: string, value: Buffer): Record<string, Uint8Array> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (error) {
    throw new ChangelogCorruptError(key, error instanceof Error ? error.message : String(error));
  }
  if (typeof parsed !== 'object' || parsed === null || !('version' in parsed) || parsed.version !== 1 || !('stages' in parsed)) {
    throw new ChangelogCorruptError(key, 'not a version 1 snapshot envelope');
  }
  const stages = parsed.stages as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(stages).map(([stage, base64]) => {
      if (typeof base64 !== 'string') throw new ChangelogCorruptError(key, `stage ${stage} is not base64 text`);
      return [stage, new Uint8Array(Buffer.from(base64, 'base64'))];
    }),
  );
}

/** The newest value per wanted key of the changelog (read-committed: only committed snapshots count). */
export async function readChangelog(kafka: Kafka, topic: string, wanted: (key: string) => boolean): Promise<Map<string, Buffer>> {
  const latest = new Map<string, Buffer>();
  await readTopicToEnd(kafka, topic, (message) => {
    const key = message.key?.toString();
    if (key === undefined || !wanted(key)) return;
    if (message.value === null) latest.delete(key);
    else latest.set(key, message.value);
  });
  return latest;
}
