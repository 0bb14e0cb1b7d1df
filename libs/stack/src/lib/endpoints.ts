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

/**
 * The local broker's SASL_SSL listener, for the tests that prove an authenticated, encrypted
 * connection; written to stack.env next to the three endpoints when the stack runs Kafka.
 */
export const SASL_SSL_ENDPOINT_NAMES = ['KAFKA_SASL_SSL_BROKERS', 'KAFKA_SASL_SSL_CA_FILE', 'KAFKA_SASL_SSL_USERNAME', 'KAFKA_SASL_SSL_PASSWORD'] as const;
export type SaslSslEndpointName = (typeof SASL_SSL_ENDPOINT_NAMES)[number];

/** The SASL_SSL endpoint given in an environment: all four names, or undefined. */
export function saslSslEndpointGivenIn(env: NodeJS.ProcessEnv): Record<SaslSslEndpointName, string> | undefined {
  const values = SASL_SSL_ENDPOINT_NAMES.map((name) => [name, env[name]?.trim()] as const);
  if (values.every(([, value]) => !value)) return undefined;
  const missing = values.filter(([, value]) => !value).map(([name]) => name);
  if (missing.length > 0) throw new Error(`${missing.join(', ')} not set: give all of ${SASL_SSL_ENDPOINT_NAMES.join(', ')} or none (then the local stack provides them)`);
  return Object.fromEntries(values) as Record<SaslSslEndpointName, string>;
}

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
export function toEnvFile(endpoints: StackEndpoints, extra: Partial<Record<SaslSslEndpointName, string>> = {}): string {
  const lines = [...ENDPOINT_NAMES.map((name) => `${name}=${endpoints[name]}`), ...Object.entries(extra).map(([name, value]) => `${name}=${value}`)];
  return lines.join('\n') + '\n';
}

export function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) values[match[1]] = match[2].trim();
  }
  return values;
}
