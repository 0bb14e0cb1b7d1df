/**
 * Jest global setup for integration tests: provides KAFKA_BROKERS, SCHEMA_REGISTRY_URL
 * and DATABASE_URL with the stack's resolution order (environment, then a Docker
 * engine through testcontainers, then the local stack), and the SASL_SSL listener of the
 * security tests (KAFKA_SASL_SSL_*: environment, else the local broker's). A missing
 * component fails the run loudly; tests never skip.
 */
import { join } from 'node:path';
import { register } from 'tsconfig-paths';
import { findRepoRoot } from '../lib/stack-settings';

// Global setup runs outside Jest's module resolution, so path aliases are registered here.
const repoRoot = findRepoRoot(__dirname);
const { compilerOptions } = require(join(repoRoot, 'tsconfig.base.json')) as { compilerOptions: { paths: Record<string, string[]> } };
register({ baseUrl: repoRoot, paths: compilerOptions.paths });

export default async function globalSetup(): Promise<void> {
  await provideEndpoints();
  const { provideSaslSslEndpoint } = await import('../lib/resolve-stack');
  Object.assign(process.env, await provideSaslSslEndpoint({ ...process.env, STACK_MODE: 'local' }));
}

async function provideEndpoints(): Promise<void> {
  const { COMPONENT_OF, ENDPOINT_NAMES, endpointsGivenIn } = await import('../lib/endpoints');
  const { dockerEngineAnswers } = await import('../lib/prerequisites');
  const given = endpointsGivenIn(process.env);
  const missing = ENDPOINT_NAMES.filter((name) => given[name] === undefined);
  if (missing.length === 0) return;

  if (process.env['STACK_MODE'] !== 'local' && dockerEngineAnswers()) {
    const { startContainerStack } = await import('./testcontainers-stack');
    const stack = await startContainerStack(missing.map((name) => COMPONENT_OF[name]));
    for (const name of missing) process.env[name] = stack.endpoints[COMPONENT_OF[name]];
    (globalThis as { __containerStack?: { stop(): Promise<void> } }).__containerStack = stack;
    return;
  }
  const { bringUpStack } = await import('../lib/resolve-stack');
  const stack = await bringUpStack({ ...process.env, STACK_MODE: 'local' });
  for (const name of missing) process.env[name] = stack.endpoints[name];
}
