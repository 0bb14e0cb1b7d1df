import { z } from 'zod';
import { printableSetting } from './redact';
import { webhookEnv, webhookProblems } from './http-env';
import { databaseSecurityProblems, LOCAL_DEFAULT_PASSWORDS, kafkaSecurityEnv, kafkaSecurityProblems, schemaRegistrySecurityEnv, schemaRegistrySecurityProblems } from './security-env';

/** Raised at startup when the environment does not validate; lists every problem at once. */
export class ConfigValidationError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(`${service}: invalid configuration\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

const hostPortList = z
  .string()
  .trim()
  .regex(/^[^:,\s]+:\d+(,[^:,\s]+:\d+)*$/, 'must be host:port[,host:port...], e.g. 127.0.0.1:9092');

/** The environment variables shared by the services, with local-stack defaults. */
export const endpointEnv = {
  KAFKA_BROKERS: hostPortList.default('127.0.0.1:9092').describe('Kafka bootstrap servers'),
  SCHEMA_REGISTRY_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL of a Confluent-compatible schema registry' })
    .default('http://127.0.0.1:8081/apis/ccompat/v7')
    .describe('Confluent-compatible schema registry base URL'),
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres://user:password@host:port/database URL' })
    .default(`postgres://pipeline:${LOCAL_DEFAULT_PASSWORDS.databaseOwner}@127.0.0.1:5432/pipeline`)
    .describe('PostgreSQL warehouse connection URL'),
};

/** The brokers and how to reach them securely: what every Kafka client of the product is built from (kafkaClusterFrom). */
export const kafkaEnv = { KAFKA_BROKERS: endpointEnv.KAFKA_BROKERS, ...kafkaSecurityEnv };

/** The registry and its credentials and TLS (schemaRegistryFrom). */
export const schemaRegistryEnv = { SCHEMA_REGISTRY_URL: endpointEnv.SCHEMA_REGISTRY_URL, ...schemaRegistrySecurityEnv };

/**
 * Prefix of every topic name, registry subject and derived id of a service, CLI or test run, e.g.
 * `staging.`: environments sharing one cluster never see each other's records. Turned into a
 * TopicNamespace (libs/contracts) at start-up and injected; nothing reads it at import.
 */
export const topicNamespaceEnv = {
  PIPELINE_TOPIC_NAMESPACE: z
    .string()
    .regex(/^[a-zA-Z0-9._-]*$/, 'may hold only letters, digits, ".", "_" and "-"')
    .max(200)
    .default('')
    .describe('prefix of every topic name and registry subject (default: none)'),
};

export const serviceEnv = {
  HTTP_PORT: z.coerce.number().int().min(1).max(65535).describe('port of the health and metrics endpoints'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info').describe('log level'),
  STARTUP_DEADLINE_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .optional()
    .describe('longest wait for the dependencies at start-up before the service exits 1 naming what it waits for; default none (wait on)'),
};

/** Checks of settings that only mean something together, run when a schema holds the setting named first. */
const COMBINATION_CHECKS: Array<{ when: string; problems: (config: Record<string, unknown>) => string[] }> = [
  { when: 'KAFKA_SECURITY_PROTOCOL' satisfies keyof typeof kafkaSecurityEnv, problems: kafkaSecurityProblems },
  { when: 'SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO' satisfies keyof typeof schemaRegistrySecurityEnv, problems: schemaRegistrySecurityProblems },
  { when: 'WEBHOOK_AUTH' satisfies keyof typeof webhookEnv, problems: webhookProblems },
  // Needs NODE_ENV in the same schema (warehouseEnv has it): only production refuses default passwords.
  { when: 'DATABASE_URL' satisfies keyof typeof endpointEnv, problems: databaseSecurityProblems },
];

/**
 * Validates raw env against a schema and returns typed config, or throws a
 * ConfigValidationError naming each variable, what is wrong and what was given
 * (secrets never, URL passwords hidden).
 */
export function parseEnv<Shape extends z.ZodRawShape>(service: string, shape: Shape, raw: Record<string, unknown>): z.infer<z.ZodObject<Shape>> {
  const result = z.object(shape).safeParse(raw);
  if (result.success) {
    const data: Record<string, unknown> = result.data;
    const problems = COMBINATION_CHECKS.filter((check) => check.when in shape).flatMap((check) => check.problems(data));
    if (problems.length > 0) throw new ConfigValidationError(service, problems);
    return result.data;
  }
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    const given = raw[name];
    return `${name}: ${issue.message}${given === undefined ? ' (not set)' : ` (got ${printableSetting(name, given)})`}`;
  });
  throw new ConfigValidationError(service, problems);
}

/** A variable that must be set (integration tests: the Jest global setup provides the endpoints). */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set${name.match(/^(KAFKA_BROKERS|SCHEMA_REGISTRY_URL|DATABASE_URL)$/) ? ': the Jest global setup (libs/stack) should have provided it' : ''}`);
  return value;
}
