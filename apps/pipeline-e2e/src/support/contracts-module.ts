/** The contracts as loaded after the run's topic namespace is set (see isolatedRun). */
export type ContractsModule = typeof import('@pipeline/contracts');
export type IngestModule = typeof import('@pipeline/ingest');

/**
 * Fresh copies of the contracts, and of the libs that use them, for the current namespace:
 * topic names are fixed when the contracts load, and libs loaded together share one copy
 * (so their error classes and bindings are the same objects).
 */
export async function loadRunModules(): Promise<{ contracts: ContractsModule; ingest: IngestModule }> {
  if (!process.env['PIPELINE_TOPIC_NAMESPACE']) throw new Error('call isolatedRun() before loading the contracts');
  let loaded: { contracts: ContractsModule; ingest: IngestModule } | undefined;
  await jest.isolateModulesAsync(async () => {
    loaded = { contracts: await import('@pipeline/contracts'), ingest: await import('@pipeline/ingest') };
  });
  if (!loaded) throw new Error('the contracts did not load');
  return loaded;
}

export async function loadContracts(): Promise<ContractsModule> {
  return (await loadRunModules()).contracts;
}
