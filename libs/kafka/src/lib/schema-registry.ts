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
 * Answers of a registration racing another one for the same new subject. The registry client
 * reads the subject's compatibility level, registers, and sets the level after a first
 * registration: a second client can read the level in between (Apicurio reports a subject
 * without its own level as NONE), and two first registrations both set it (Apicurio refuses the
 * second). Both pass once the first client has set the level.
 */
const REGISTRATION_RACE = /Compatibility does not match the configuration \(\w+ != NONE\)|A rule named 'COMPATIBILITY' already exists/i;
/** Attempts within one registration before the race is reported (retriable) to the caller: about 3 s in all. */
const RACE_ATTEMPTS = 12;

/**
 * Answers that look like refusals but are not: the registry client reports network failures
 * as status 400, and a registration race (above) passes on a retry.
 */
function isTransientRefusal(message: string): boolean {
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up|network|timeout/i.test(message) || REGISTRATION_RACE.test(message);
}

/**
 * Registers (or finds) an Avro schema under a subject and returns its registry id. Replicas
 * registering the same new subject at once all get its id: a lost race is retried here.
 */
export async function registerAvroSchema(registry: SchemaRegistry, subject: string, schema: object): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
      return id;
    } catch (error) {
      if (attempt >= RACE_ATTEMPTS || !REGISTRATION_RACE.test(error instanceof Error ? error.message : String(error))) throw new SchemaRegistrationError(subject, error);
      // Jittered, so the racers do not meet again on the next attempt.
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 50 * attempt));
    }
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
