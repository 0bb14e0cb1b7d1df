/** The three endpoints every app and test needs; the env names are the product's public contract. */
export interface StackEndpoints {
  KAFKA_BROKERS: string;
  SCHEMA_REGISTRY_URL: string;
  DATABASE_URL: string;
}

export type EndpointName = keyof StackEndpoints;
export const ENDPOINT_NAMES: readonly EndpointName[] = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'DATABASE_URL'];

/** Which component provides which endpoint (used to start only what is missing). */
export type ComponentName = 'kafka' | 'registry' | 'postgres';
export const COMPONENT_OF: Record<EndpointName, ComponentName> = {
  KAFKA_BROKERS: 'kafka',
  SCHEMA_REGISTRY_URL: 'registry',
  DATABASE_URL: 'postgres',
};

export function endpointsGivenIn(env: NodeJS.ProcessEnv): Partial<StackEndpoints> {
  const given: Partial<StackEndpoints> = {};
  for (const name of ENDPOINT_NAMES) {
    const value = env[name]?.trim();
    if (value) given[name] = value;
  }
  return given;
}

export function isComplete(endpoints: Partial<StackEndpoints>): endpoints is StackEndpoints {
  return ENDPOINT_NAMES.every((name) => endpoints[name] !== undefined);
}

/** KEY=VALUE lines, loadable by `source`, docker `--env-file` and @nestjs/config. */
export function toEnvFile(endpoints: StackEndpoints): string {
  return ENDPOINT_NAMES.map((name) => `${name}=${endpoints[name]}`).join('\n') + '\n';
}

export function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) values[match[1]] = match[2].trim();
  }
  return values;
}
