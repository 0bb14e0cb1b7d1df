import type { TopicNamespace } from '@pipeline/contracts';
import type { TopicSpec } from '@pipeline/kafka';

/**
 * Engine state lives in a compacted changelog topic with one partition per input partition
 * (a group key's state sits in the changelog partition of its input partition). Each batch's
 * transaction writes only what that batch changed: one record per (stage, group key) whose
 * windows changed, a tombstone for a key whose windows all closed, and the stage's small
 * clock record (watermark, counters); all with the outputs and the consumer offset.
 * Compaction keeps the newest record per key, so the topic holds the live state, not its history.
 */
export function changelogTopic(topics: TopicNamespace, groupId: string, inputPartitions: number): TopicSpec {
  return {
    // Namespaced like the input: a run in another namespace must never restore this one's state.
    topic: topics.name(`${groupId}.state-changelog`),
    partitions: inputPartitions,
    config: {
      'cleanup.policy': 'compact',
      // Small segments that roll often, cleaned eagerly: a restore reads little beyond the live state.
      'segment.ms': '60000',
      'segment.bytes': String(64 * 1024 * 1024),
      'min.cleanable.dirty.ratio': '0.1',
      'max.message.bytes': String(8 * 1024 * 1024),
    },
  };
}

const SEPARATOR = '\u0000';
const CLOCK = '\u0001clock';
/**
 * Changelog key of the partition's input position: the next input offset, written in every
 * transaction, so a restored state always comes with the exact offset it stands for.
 */
export const POSITION_KEY = '\u0001position';

/** Changelog key of one group key's state in one stage. */
export function keyStateKey(stage: string, groupKey: string): string {
  return `${stage}${SEPARATOR}${groupKey}`;
}

/** Changelog key of a stage's per-partition clock (watermark, counters). */
export function clockKey(stage: string): string {
  return `${stage}${SEPARATOR}${CLOCK}`;
}

export type ChangelogEntry = { stage: string; kind: 'clock' } | { stage: string; kind: 'key'; groupKey: string };

/** Parses a changelog key; undefined for a key this layout never writes. */
export function parseChangelogKey(key: string): ChangelogEntry | undefined {
  const separator = key.indexOf(SEPARATOR);
  if (separator <= 0) return undefined;
  const stage = key.slice(0, separator);
  const rest = key.slice(separator + 1);
  return rest === CLOCK ? { stage, kind: 'clock' } : { stage, kind: 'key', groupKey: rest };
}

/** The newest state of one input partition, as read from its changelog partition. */
export class PartitionStateImage {
  readonly clocks = new Map<string, Uint8Array>();
  readonly keys = new Map<string, Map<string, Uint8Array>>();
  /** The next input offset of the newest state (absent before the first transaction). */
  position: string | undefined;

  apply(key: string, value: Buffer | null): void {
    if (key === POSITION_KEY) {
      this.position = value === null ? undefined : value.toString('utf8');
      return;
    }
    const entry = parseChangelogKey(key);
    if (!entry) return;
    if (entry.kind === 'clock') {
      if (value === null) this.clocks.delete(entry.stage);
      else this.clocks.set(entry.stage, new Uint8Array(value));
      return;
    }
    let stageKeys = this.keys.get(entry.stage);
    if (!stageKeys) {
      stageKeys = new Map();
      this.keys.set(entry.stage, stageKeys);
    }
    // Copied: a fetched record's bytes are a view on the whole fetch response.
    if (value === null) stageKeys.delete(entry.groupKey);
    else stageKeys.set(entry.groupKey, new Uint8Array(value));
  }
}
