import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPONENT_OF, ENDPOINT_NAMES, endpointsGivenIn, isComplete, parseEnvFile, toEnvFile, type ComponentName, type EndpointName, type StackEndpoints } from './endpoints';
import { stackSettings, type StackSettings } from './stack-settings';
import { dockerEngineAnswers } from './prerequisites';
import { DockerStack } from './docker-stack';
import { LocalStack } from './local-stack';

export type EndpointSource = 'environment' | 'docker' | 'local';

export interface ResolvedStack {
  endpoints: StackEndpoints;
  sources: Record<EndpointName, EndpointSource>;
  /** Local components this call started (empty when everything was already running). */
  started: ComponentName[];
  envFile: string;
}

export function envFilePath(settings: StackSettings = stackSettings()): string {
  return join(settings.stackDir, 'stack.env');
}

/**
 * Brings up whatever endpoints the environment does not already name, in this order:
 * a. endpoints set in the environment are used as they are;
 * b. else, if a Docker engine answers, the infrastructure services of docker-compose.yml;
 * c. else local processes (see LocalStack).
 * The result is written to .stack/stack.env for the apps and tests.
 */
export async function bringUpStack(env: NodeJS.ProcessEnv = process.env): Promise<ResolvedStack> {
  const settings = stackSettings(env);
  const given = endpointsGivenIn(env);
  const missingEndpoints = ENDPOINT_NAMES.filter((name) => given[name] === undefined);
  const missing = missingEndpoints.map((name) => COMPONENT_OF[name]);
  const sources = Object.fromEntries(ENDPOINT_NAMES.map((name) => [name, 'environment'])) as Record<EndpointName, EndpointSource>;
  let provided: Partial<Record<ComponentName, string>> = {};
  let started: ComponentName[] = [];
  if (missing.length > 0) {
    const viaDocker = env['STACK_MODE'] !== 'local' && dockerEngineAnswers();
    if (viaDocker) {
      provided = new DockerStack(settings).up(missing);
    } else {
      const result = await new LocalStack(settings, missing.includes('postgres')).up(missing);
      provided = result.endpoints;
      started = result.started;
    }
    for (const name of missingEndpoints) sources[name] = viaDocker ? 'docker' : 'local';
  }
  const endpoints = { ...given };
  for (const name of missingEndpoints) endpoints[name] = provided[COMPONENT_OF[name]];
  if (!isComplete(endpoints)) throw new Error(`the stack did not provide ${missingEndpoints.filter((name) => !endpoints[name]).join(', ')}`);
  const envFile = envFilePath(settings);
  mkdirSync(settings.stackDir, { recursive: true });
  writeFileSync(envFile, toEnvFile(endpoints));
  return { endpoints, sources, started, envFile };
}

/** Stops what the stack started (local processes and/or compose services); never anything else. */
export async function bringDownStack(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const settings = stackSettings(env);
  const stopped: string[] = await new LocalStack(settings, true).down();
  if (new DockerStack(settings).down()) stopped.push('docker compose services');
  return stopped;
}

/** Endpoints written by the last `up`, for processes started afterwards. */
export function readStackEnvFile(settings: StackSettings = stackSettings()): Partial<StackEndpoints> {
  const file = envFilePath(settings);
  if (!existsSync(file)) return {};
  return endpointsGivenIn(parseEnvFile(readFileSync(file, 'utf8')));
}
