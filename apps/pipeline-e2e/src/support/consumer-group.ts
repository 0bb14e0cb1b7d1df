import type { Kafka } from '@pipeline/kafka';
import { waitFor } from './wait';

/** One member of a consumer group and the partitions of one topic it owns. */
export interface GroupMember {
  memberId: string;
  partitions: number[];
}

export interface GroupView {
  state: string;
  members: GroupMember[];
}

/**
 * The partitions of `topic` in a member's assignment, decoded from the consumer protocol's
 * bytes (version int16; [topic string, [partition int32]]; user data), which every Kafka
 * client writes the same way.
 */
export function assignedPartitions(assignment: Buffer, topic: string): number[] {
  if (assignment.length < 6) return [];
  let offset = 2;
  const topicCount = assignment.readInt32BE(offset);
  offset += 4;
  const partitions: number[] = [];
  for (let t = 0; t < topicCount; t += 1) {
    const nameLength = assignment.readInt16BE(offset);
    offset += 2;
    const name = assignment.toString('utf8', offset, offset + nameLength);
    offset += nameLength;
    const count = assignment.readInt32BE(offset);
    offset += 4;
    for (let p = 0; p < count; p += 1) {
      if (name === topic) partitions.push(assignment.readInt32BE(offset));
      offset += 4;
    }
  }
  return partitions.sort((a, b) => a - b);
}

/** The group as the broker's coordinator sees it now (admin DescribeGroups). */
export async function describeGroup(kafka: Kafka, groupId: string, topic: string): Promise<GroupView> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    const group = groups.find((candidate) => candidate.groupId === groupId);
    if (!group) return { state: 'Unknown', members: [] };
    return {
      state: group.state,
      members: group.members.map((member) => ({ memberId: member.memberId, partitions: assignedPartitions(member.memberAssignment, topic) })).sort((a, b) => (a.partitions[0] ?? 99) - (b.partitions[0] ?? 99)),
    };
  } finally {
    await admin.disconnect();
  }
}

/** A stable group of exactly `members` members, each owning some of the topic's partitions, together all of them. */
export function isStableSplit(view: GroupView, members: number, partitions: number): boolean {
  const owned = view.members.flatMap((member) => member.partitions).sort((a, b) => a - b);
  return (
    view.state === 'Stable' &&
    view.members.length === members &&
    view.members.every((member) => member.partitions.length > 0) &&
    owned.length === partitions &&
    owned.every((partition, index) => partition === index)
  );
}

export function showGroup(view: GroupView): string {
  return `${view.state}, ${view.members.length} member(s): ${view.members.map((member) => `[${member.partitions.join(',')}]`).join(' ')}`;
}

/** Waits until the group is stable with `members` members sharing all `partitions` partitions of the topic. */
export async function waitForStableSplit(kafka: Kafka, groupId: string, topic: string, members: number, partitions: number, timeoutMs = 90000, context?: () => string): Promise<GroupView> {
  return waitFor(`consumer group ${groupId} stable with ${members} member(s) owning all ${partitions} partitions`, () => describeGroup(kafka, groupId, topic), (view) => isStableSplit(view, members, partitions), {
    timeoutMs,
    intervalMs: 1000,
    show: showGroup,
    context,
  });
}

/** Per partition of the topic: records not yet committed by the group (end offset − committed offset). */
export async function groupLag(kafka: Kafka, groupId: string, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committedOf = new Map((committed?.partitions ?? []).map((entry) => [entry.partition, BigInt(entry.offset)]));
    return new Map(
      ends.map((end) => {
        const done = committedOf.get(end.partition) ?? -1n;
        const start = done >= 0n ? done : BigInt(end.low);
        return [end.partition, BigInt(end.high) - start];
      }),
    );
  } finally {
    await admin.disconnect();
  }
}

const showLag = (lag: Map<number, bigint>) => [...lag].sort(([a], [b]) => a - b).map(([partition, behind]) => `p${partition}: ${behind}`).join(', ');

/**
 * Waits until the group has committed every record of the topic written so far: the
 * stream-aggregator commits its input offsets in the transaction of each batch, so this is
 * "every record has been processed and its outputs committed".
 */
export async function waitForCaughtUp(kafka: Kafka, groupId: string, topic: string, timeoutMs = 120000, context?: () => string): Promise<void> {
  await waitFor(`consumer group ${groupId} caught up with ${topic}`, () => groupLag(kafka, groupId, topic), (lag) => [...lag.values()].every((behind) => behind === 0n), {
    timeoutMs,
    intervalMs: 1000,
    show: showLag,
    context,
  });
}

/**
 * The id of the one consumer group whose name contains `fragment` (e.g. `aggregator-<runId>`),
 * waiting until the service has created it; the test's own read-to-end groups (`….read-<uuid>`)
 * never count. Found rather than restated, so a service may namespace its group as it likes.
 */
export async function findGroupId(kafka: Kafka, fragment: string, timeoutMs = 30000): Promise<string> {
  const matching = async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.listGroups();
      return groups.map((group) => group.groupId).filter((groupId) => groupId.includes(fragment) && !groupId.includes('.read-'));
    } finally {
      await admin.disconnect();
    }
  };
  const [groupId] = await waitFor(`the consumer group named like ${fragment}`, matching, (ids) => ids.length === 1, { timeoutMs, intervalMs: 500 });
  if (!groupId) throw new Error(`no consumer group named like ${fragment}`);
  return groupId;
}
