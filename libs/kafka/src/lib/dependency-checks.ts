import type { Admin } from 'kafkajs';
import { explainKafkaError } from './connection-errors';
import { createKafkaClient } from './kafka-client';
import { checkRegistry } from './schema-registry';
import type { KafkaCluster, SchemaRegistryConnection } from './security';

/**
 * Health probe of the brokers: the cluster answers metadata requests over a kept admin connection.
 * A wrong password or an untrusted certificate fails it with one line naming the cause and the setting.
 */
export function kafkaDependency(cluster: KafkaCluster, clientId: string) {
  const kafka = createKafkaClient({ ...cluster, clientId: `${clientId}-health` }, { retry: { retries: 1 } });
  let admin: Admin | undefined;
  return {
    name: 'kafka',
    async check(): Promise<void> {
      try {
        if (!admin) {
          admin = kafka.admin();
          await admin.connect();
        }
        const cluster = await admin.describeCluster();
        if (cluster.brokers.length === 0) throw new Error('the cluster reports no brokers');
      } catch (error) {
        const broken = admin;
        admin = undefined;
        await broken?.disconnect().catch(() => undefined);
        throw explainKafkaError(error, cluster.brokers, cluster.security) ?? error;
      }
    },
    async close(): Promise<void> {
      await admin?.disconnect();
    },
  };
}

/**
 * Connects once, without retries, and fetches the cluster's metadata: resolves, or rejects with one
 * line (SecureConnectionError for credentials and certificates). For command lines and start-up checks,
 * where kafkajs's retries would only delay and repeat the same error.
 */
export async function checkKafkaConnection(cluster: KafkaCluster, clientId: string): Promise<void> {
  const admin = createKafkaClient({ ...cluster, clientId, log: () => undefined }, { retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (error) {
    throw explainKafkaError(error, cluster.brokers, cluster.security) ?? error;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export function schemaRegistryDependency(registry: SchemaRegistryConnection) {
  return {
    name: 'schema-registry',
    check: (): Promise<void> => checkRegistry(registry),
  };
}
