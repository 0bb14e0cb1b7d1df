import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  COMPONENT_OF,
  ENDPOINT_NAMES,
  endpointsGivenIn,
  isComplete,
  parseEnvFile,
  saslSslEndpointGivenIn,
  SASL_SSL_ENDPOINT_NAMES,
  toEnvFile,
  type ComponentName,
  type EndpointName,
  type SaslSslEndpointName,
  type StackEndpoints,
} from './endpoints';
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
  let saslSsl: Partial<Record<SaslSslEndpointName, string>> = {};
  if (missing.length > 0) {
    const viaDocker = env['STACK_MODE'] !== 'local' && dockerEngineAnswers();
    if (viaDocker) {
      provided = new DockerStack(settings).up(missing);
    } else {
      const local = new LocalStack(settings, missing.includes('postgres'));
      const result = await local.up(missing);
      provided = result.endpoints;
      started = result.started;
      if (missing.includes('kafka')) saslSsl = local.saslSslEndpoint();
    }
    for (const name of missingEndpoints) sources[name] = viaDocker ? 'docker' : 'local';
  }
  const endpoints = { ...given };
  for (const name of missingEndpoints) endpoints[name] = provided[COMPONENT_OF[name]];
  if (!isComplete(endpoints)) throw new Error(`the stack did not provide ${missingEndpoints.filter((name) => !endpoints[name]).join(', ')}`);
  const envFile = envFilePath(settings);
  mkdirSync(settings.stackDir, { recursive: true });
  writeFileSync(envFile, toEnvFile(endpoints, saslSsl));
  return { endpoints, sources, started, envFile };
}

/** Stops what the stack started (local processes and/or compose services); never anything else. */
export async function bringDownStack(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const settings = stackSettings(env);
  const stopped: string[] = await new LocalStack(settings, true).down();
  if (new DockerStack(settings).down()) stopped.push('docker compose services');
  return stopped;
}

/** Endpoints written by the last `up` (the SASL_SSL listener's too, when the stack runs Kafka), for processes started afterwards. */
export function readStackEnvFile(settings: StackSettings = stackSettings()): Partial<StackEndpoints> & Partial<Record<SaslSslEndpointName, string>> {
  const file = envFilePath(settings);
  if (!existsSync(file)) return {};
  const values = parseEnvFile(readFileSync(file, 'utf8'));
  const saslSsl = Object.fromEntries(SASL_SSL_ENDPOINT_NAMES.filter((name) => values[name]).map((name) => [name, values[name]]));
  return { ...endpointsGivenIn(values), ...saslSsl };
}

/**
 * The SASL_SSL listener the security tests connect to: from the environment when all of its
 * names are set (e.g. `docker compose --profile secure`), else the local broker's, started if it
 * is not running. Its port taken by another process (another checkout's stack) fails loudly:
 * move the stack's ports (STACK_*_PORT) or give the endpoint.
 */
export async function provideSaslSslEndpoint(env: NodeJS.ProcessEnv = process.env): Promise<Record<SaslSslEndpointName, string>> {
  const given = saslSslEndpointGivenIn(env);
  if (given) return given;
  const local = new LocalStack(stackSettings(env), false);
  await local.up(['kafka']);
  return local.saslSslEndpoint();
}
