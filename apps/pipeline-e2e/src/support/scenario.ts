import type { PipelineServices } from './pipeline-services';
import { queryRows, waitForRowCount } from './warehouse-rows';

export const SCENARIOS = [
  ['without interruptions', false],
  ['with the aggregator crashing and the sink stopping mid-run', true],
] as const;

/**
 * Feeds a run's input in two parts with the services up. When `interrupted`, once the
 * first windows reach the warehouse the aggregator is killed (no graceful shutdown) and
 * the sink stopped; the second part is published while both are down; then both start
 * again. `finish` (end-of-input heartbeats, a replay's last rows) runs last.
 */
export async function feedPipeline(options: {
  services: PipelineServices;
  interrupted: boolean;
  warehouseSchema: string;
  /** A table that gets rows early, to know the aggregator is part-way. */
  progressTable: string;
  firstPart: () => Promise<void>;
  secondPart: () => Promise<void>;
  finish: () => Promise<void>;
}): Promise<void> {
  const { services } = options;
  await services.start('warehouse-sink');
  await services.start('stream-aggregator');
  await options.firstPart();
  if (options.interrupted) {
    const anyRow = async () => (await queryRows(options.warehouseSchema, `SELECT 1 FROM ${options.progressTable} LIMIT 1`)).length;
    await waitForRowCount(`first rows of ${options.progressTable} before the interruption`, anyRow, 1);
    await services.stop('stream-aggregator', 'SIGKILL');
    await services.stop('warehouse-sink');
    await options.secondPart();
    await services.start('stream-aggregator');
    await services.start('warehouse-sink');
  } else {
    await options.secondPart();
  }
  await options.finish();
}

export async function tableCount(schema: string, table: string): Promise<number> {
  return (await queryRows(schema, `SELECT count(*)::int AS n FROM ${table}`))[0]?.['n'] as number;
}
