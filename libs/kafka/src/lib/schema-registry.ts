import { request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { redactCredentials } from '@pipeline/config';
import { explainRegistryError } from './connection-errors';
import { registryConnection, tlsOptions, type SchemaRegistryConnection } from './security';

export type { SchemaRegistry };

/** TLS agent of an https registry (its CA and client certificate), kept per connection. */
function httpsAgentOf(connection: SchemaRegistryConnection): HttpsAgent | undefined {
  return connection.tls ? new HttpsAgent({ ...tlsOptions(connection.tls), keepAlive: true }) : undefined;
}

/**
 * Confluent-compatible registry client (Confluent Schema Registry, Apicurio's /apis/ccompat/v7, Redpanda),
 * with basic auth and TLS when the connection has them (see schemaRegistryFrom). A plain URL is the local stack's.
 */
export function createSchemaRegistry(registry: string | SchemaRegistryConnection): SchemaRegistry {
  const connection = registryConnection(registry);
  const agent = httpsAgentOf(connection);
  return new SchemaRegistry({ host: connection.url, ...(connection.auth && { auth: connection.auth }), ...(agent && { agent }) });
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
    // Refused credentials or an untrusted certificate are the operator's to fix, never the record's fault: retried, not dead-lettered.
    const connection = explainRegistryError(cause, 'registry') !== undefined;
    this.retriable = status === undefined || status >= 500 || status === 408 || status === 429 || connection || isTransientRefusal(this.message);
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

/**
 * Resolves when the registry answers its subjects listing (with the connection's credentials
 * and TLS); rejects with one line otherwise (SecureConnectionError for credentials and certificates).
 */
export async function checkRegistry(registry: string | SchemaRegistryConnection, timeoutMs = 2000): Promise<void> {
  const connection = registryConnection(registry);
  const url = new URL(`${connection.url}/subjects`);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (connection.auth) headers['authorization'] = `Basic ${Buffer.from(`${connection.auth.username}:${connection.auth.password}`).toString('base64')}`;
  const agent = httpsAgentOf(connection);
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(url, { method: 'GET', headers, ...(agent && { agent }), timeout: timeoutMs }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
    if (status >= 200 && status < 300) return;
    throw Object.assign(new Error(`HTTP ${status} from ${connection.url}/subjects`), { status });
  } catch (error) {
    throw explainRegistryError(error, connection.url) ?? new Error(`no answer from ${redactCredentials(connection.url)}/subjects: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    agent?.destroy();
  }
}

/** True when the registry answers its subjects listing. */
export async function registryAnswers(registry: string | SchemaRegistryConnection, timeoutMs = 2000): Promise<boolean> {
  return checkRegistry(registry, timeoutMs).then(
    () => true,
    () => false,
  );
}
