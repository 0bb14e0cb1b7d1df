import type { Admin } from 'kafkajs';
import { createKafkaClient, parseBrokerList } from './kafka-client';
import { registryAnswers } from './schema-registry';

/** Health probe of the brokers: the cluster answers metadata requests over a kept admin connection. */
export function kafkaDependency(brokers: string, clientId: string) {
  const kafka = createKafkaClient({ brokers: parseBrokerList(brokers), clientId: `${clientId}-health` }, { retry: { retries: 1 } });
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
        throw error;
      }
    },
    async close(): Promise<void> {
      await admin?.disconnect();
    },
  };
}

export function schemaRegistryDependency(url: string) {
  return {
    name: 'schema-registry',
    async check(): Promise<void> {
      if (!(await registryAnswers(url))) throw new Error(`no answer from ${url}/subjects`);
    },
  };
}
