import type { Admin, Kafka } from 'kafkajs';

/**
 * An admin client, connected, with the cluster's brokers known. kafkajs' `admin.connect()` reaches a
 * seed broker but leaves its broker pool empty, so the first call that looks up a group coordinator
 * without refreshing metadata itself (`fetchOffsets`, `describeGroups`, `setOffsets`) fails inside kafkajs
 * with "No brokers in the broker pool", refreshes and retries after its retry backoff: about 200 ms of
 * waiting per call (measured 174–237 ms, on every partition a stream server took over). One metadata
 * request of no topics fills the pool first (1–6 ms).
 */
export async function connectAdmin(kafka: Kafka): Promise<Admin> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.describeCluster();
    return admin;
  } catch (error) {
    await admin.disconnect().catch(() => undefined);
    throw error;
  }
}

/** Runs `work` with a connected admin client (connectAdmin) and disconnects it whatever the outcome. */
export async function withAdmin<T>(kafka: Kafka, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = await connectAdmin(kafka);
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Deletes a throwaway consumer group; one that is already gone (or never committed) is not an error. */
export async function deleteGroupQuietly(kafka: Kafka, groupId: string): Promise<void> {
  await withAdmin(kafka, (admin) => admin.deleteGroups([groupId])).catch(() => undefined);
}
