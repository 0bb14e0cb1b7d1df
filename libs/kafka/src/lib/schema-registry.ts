import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';

export type { SchemaRegistry };

/** Confluent-compatible registry client (Confluent Schema Registry, Apicurio's /apis/ccompat/v7, Redpanda). */
export function createSchemaRegistry(url: string): SchemaRegistry {
  return new SchemaRegistry({ host: url.replace(/\/+$/, '') });
}

export class SchemaRegistrationError extends Error {
  /** The registry answered with a refusal (4xx: incompatible or invalid schema): no retry helps. Otherwise it was unreachable. */
  readonly retriable: boolean;
  readonly reasonClass: string;
  constructor(
    readonly subject: string,
    cause: unknown,
  ) {
    super(`registering the Avro schema under subject "${subject}" failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'SchemaRegistrationError';
    const status = typeof cause === 'object' && cause !== null && 'status' in cause ? Number(cause.status) : undefined;
    this.retriable = status === undefined || status >= 500 || status === 408 || status === 429 || isTransientRefusal(this.message);
    this.reasonClass = this.retriable ? 'registry' : 'schema-refused';
  }
}

/**
 * Answers that look like refusals but are not: the registry client reports network failures
 * as status 400, and Apicurio refuses a registration racing another one for a new subject
 * (it reads the subject's rule before the first one set it). Both pass on a retry.
 */
function isTransientRefusal(message: string): boolean {
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up|network|timeout|Compatibility does not match the configuration/i.test(message);
}

/** Registers (or finds) an Avro schema under a subject and returns its registry id. */
export async function registerAvroSchema(registry: SchemaRegistry, subject: string, schema: object): Promise<number> {
  try {
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
    return id;
  } catch (error) {
    throw new SchemaRegistrationError(subject, error);
  }
}

/** True when the registry answers its subjects listing. */
export async function registryAnswers(url: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const response = await fetch(`${url.replace(/\/+$/, '')}/subjects`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok;
  } catch {
    return false;
  }
}
