import { withAdmin, type Kafka } from '@pipeline/kafka';
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
  return withAdmin(kafka, async (admin) => {
    const { groups } = await admin.describeGroups([groupId]);
    const group = groups.find((candidate) => candidate.groupId === groupId);
    if (!group) return { state: 'Unknown', members: [] };
    return {
      state: group.state,
      members: group.members.map((member) => ({ memberId: member.memberId, partitions: assignedPartitions(member.memberAssignment, topic) })).sort((a, b) => (a.partitions[0] ?? 99) - (b.partitions[0] ?? 99)),
    };
  });
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
  return withAdmin(kafka, async (admin) => {
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
  });
}

const showLag = (lag: Map<number, bigint>) => [...lag].sort(([a], [b]) => a - b).map(([partition, behind]) => `p${partition}: ${behind}`).join(', ');

/**
 * Waits until the group has committed every record of the topic written so far: the
 * stream-aggregator commits its input offsets in the transaction of each batch, so this is
 * "every record has been processed and its outputs committed". With `stallMs`, a group still
 * making progress may take up to `timeoutMs`, but one that commits nothing for `stallMs` fails early.
 */
export async function waitForCaughtUp(kafka: Kafka, groupId: string, topic: string, timeoutMs = 120000, context?: () => string, stallMs?: number): Promise<void> {
  const started = Date.now();
  let lastProgress = started;
  let least: bigint | undefined;
  let last: Map<number, bigint> | undefined;
  for (;;) {
    last = await groupLag(kafka, groupId, topic).catch(() => last);
    const total = last ? [...last.values()].reduce((sum, behind) => sum + behind, 0n) : undefined;
    if (total === 0n) return;
    if (total !== undefined && (least === undefined || total < least)) {
      least = total;
      lastProgress = Date.now();
    }
    const now = Date.now();
    const stalled = stallMs !== undefined && now - lastProgress > stallMs;
    if (stalled || now - started > timeoutMs) {
      const why = stalled ? `no progress for ${now - lastProgress} ms` : `not reached after ${timeoutMs} ms`;
      throw new Error(`consumer group ${groupId} caught up with ${topic}: ${why}; records not yet committed: ${last ? showLag(last) : 'unknown'}${context ? `\n${context()}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/**
 * The id of the one consumer group whose name contains `fragment` (e.g. `aggregator-<runId>`),
 * waiting until the service has created it; the test's own read-to-end groups (`….read-<uuid>`)
 * never count. Found rather than restated, so a service may namespace its group as it likes.
 */
export async function findGroupId(kafka: Kafka, fragment: string, timeoutMs = 30000): Promise<string> {
  const matching = () =>
    withAdmin(kafka, async (admin) => {
      const { groups } = await admin.listGroups();
      return groups.map((group) => group.groupId).filter((groupId) => groupId.includes(fragment) && !groupId.includes('.read-'));
    });
  const [groupId] = await waitFor(`the consumer group named like ${fragment}`, matching, (ids) => ids.length === 1, { timeoutMs, intervalMs: 500 });
  if (!groupId) throw new Error(`no consumer group named like ${fragment}`);
  return groupId;
}

/** Per partition of the topic, the offset the group has committed (-1 when none). */
export async function committedOffsets(kafka: Kafka, groupId: string, topic: string): Promise<Map<number, bigint>> {
  return withAdmin(kafka, async (admin) => {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((committed?.partitions ?? []).map((entry) => [entry.partition, BigInt(entry.offset)]));
  });
}

/**
 * Waits until the group has committed past the given record of each partition. On a topic
 * written in transactions the end offset counts commit markers no consumer ever sees, so "caught
 * up" there means: past the last committed record (as read read-committed), not at the end offset.
 */
export async function waitForCommittedPast(kafka: Kafka, groupId: string, topic: string, lastRecords: ReadonlyMap<number, bigint>, timeoutMs = 60000, context?: () => string): Promise<void> {
  await waitFor(
    `consumer group ${groupId} committed past the last record of every partition of ${topic} (${[...lastRecords].map(([partition, offset]) => `p${partition}: ${offset}`).join(', ')})`,
    () => committedOffsets(kafka, groupId, topic),
    (committed) => [...lastRecords].every(([partition, offset]) => (committed.get(partition) ?? -1n) > offset),
    { timeoutMs, intervalMs: 1000, show: (committed) => [...committed].sort(([a], [b]) => a - b).map(([partition, offset]) => `p${partition}: ${offset}`).join(', '), context },
  );
}

/**
 * Waits until a started service is really running: its consumer group (named like `fragment`) is
 * stable with `members` members owning all of the topic's partitions, so it has registered its
 * schemas and joined. A service's /health can answer before that, and two services registering
 * the same new subject at once can race in the registry client, so each start waits for this.
 */
export async function waitForServiceGroup(kafka: Kafka, fragment: string, topic: string, partitions: number, members = 1, timeoutMs = 60000, context?: () => string): Promise<string> {
  const groupId = await findGroupId(kafka, fragment, timeoutMs);
  await waitForStableSplit(kafka, groupId, topic, members, partitions, timeoutMs, context);
  return groupId;
}
