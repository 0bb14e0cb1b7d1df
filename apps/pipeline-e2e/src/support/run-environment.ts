import { randomBytes } from 'node:crypto';

/**
 * Every e2e run gets its own topic namespace (so its own watermarks, schemas and
 * late/dead-letter topics) and its own warehouse schema, so runs never see each
 * other's data on the shared stack. Bind its topics with contractsFor(run.namespace);
 * the services get the namespace in their environment (runEnvironment).
 */
export function isolatedRun(domain: string): { runId: string; namespace: string; warehouseSchema: string } {
  const runId = `${domain}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const namespace = `e2e-${runId}.`;
  return { runId, namespace, warehouseSchema: `e2e_${runId.replace(/-/g, '_')}` };
}

export { requiredEnv } from '@pipeline/config';

/** Service env of an isolated run: its namespace, schema and consumer groups. */
export function runEnvironment(run: ReturnType<typeof isolatedRun>, pipelines: string): NodeJS.ProcessEnv {
  return {
    PIPELINE_TOPIC_NAMESPACE: run.namespace,
    WAREHOUSE_SCHEMA: run.warehouseSchema,
    AGGREGATOR_PIPELINES: pipelines,
    AGGREGATOR_GROUP_ID: `aggregator-${run.runId}`,
    WAREHOUSE_SINK_GROUP_ID: `sink-${run.runId}`,
  };
}
