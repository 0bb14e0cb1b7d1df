import { accessSync, constants, statSync } from 'node:fs';
import { z } from 'zod';

/** A PEM file the process must be able to read (checked at start, not at the first connection). */
const readableFile = z
  .string()
  .trim()
  .min(1)
  .refine((path) => {
    try {
      accessSync(path, constants.R_OK);
      return statSync(path).isFile();
    } catch {
      return false;
    }
  }, 'must be a readable file (PEM)');

export const KAFKA_SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export const KAFKA_SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

/** A boolean setting: exactly `true` or `false`. */
export const booleanSetting = z.enum(['true', 'false']).transform((value) => value === 'true');

/**
 * How the services reach a secured cluster. Names follow the Confluent/librdkafka properties
 * (security.protocol, sasl.mechanism, sasl.username, ssl.ca.location ...) in env style.
 */
export const kafkaSecurityEnv = {
  KAFKA_SECURITY_PROTOCOL: z
    .enum(KAFKA_SECURITY_PROTOCOLS, { error: `must be one of ${KAFKA_SECURITY_PROTOCOLS.join(', ')}` })
    .default('PLAINTEXT')
    .describe('how to talk to the brokers: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL'),
  KAFKA_SASL_MECHANISM: z
    .enum(KAFKA_SASL_MECHANISMS, { error: `must be one of ${KAFKA_SASL_MECHANISMS.join(', ')}` })
    .optional()
    .describe('SASL mechanism (with SASL_SSL or SASL_PLAINTEXT)'),
  KAFKA_SASL_USERNAME: z.string().min(1).optional().describe('SASL user name (Confluent Cloud: the API key)'),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional().describe('SASL password (Confluent Cloud: the API secret)'),
  KAFKA_SSL_CA_FILE: readableFile.optional().describe('PEM file of the CA(s) to trust instead of the system CAs'),
  KAFKA_SSL_CERT_FILE: readableFile.optional().describe('PEM client certificate (mutual TLS)'),
  KAFKA_SSL_KEY_FILE: readableFile.optional().describe('PEM private key of the client certificate'),
  KAFKA_SSL_KEY_PASSWORD: z.string().min(1).optional().describe('passphrase of an encrypted KAFKA_SSL_KEY_FILE'),
  KAFKA_ALLOW_PLAINTEXT: booleanSetting.default(false).describe('with NODE_ENV=production: accept an unencrypted connection to the brokers'),
  NODE_ENV: z.string().optional().describe('production turns on the secure defaults'),
};

export const schemaRegistrySecurityEnv = {
  SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: z
    .string()
    .regex(/^[^:]+:.+$/, 'must be <user>:<password> (Confluent Cloud: <api key>:<api secret>)')
    .optional()
    .describe('registry basic auth, as Confluent clients take it (basic.auth.user.info)'),
  SCHEMA_REGISTRY_SSL_CA_FILE: readableFile.optional().describe('PEM file of the CA(s) to trust for an https registry instead of the system CAs'),
  SCHEMA_REGISTRY_SSL_CERT_FILE: readableFile.optional().describe('PEM client certificate for the registry (mutual TLS)'),
  SCHEMA_REGISTRY_SSL_KEY_FILE: readableFile.optional().describe('PEM private key of the registry client certificate'),
  NODE_ENV: kafkaSecurityEnv.NODE_ENV,
};

type KafkaSecurityValues = Partial<z.infer<z.ZodObject<typeof kafkaSecurityEnv>>>;
type RegistrySecurityValues = Partial<z.infer<z.ZodObject<typeof schemaRegistrySecurityEnv>>> & { SCHEMA_REGISTRY_URL?: string };

const usesSasl = (protocol: string | undefined) => protocol === 'SASL_SSL' || protocol === 'SASL_PLAINTEXT';
const usesTls = (protocol: string | undefined) => protocol === 'SSL' || protocol === 'SASL_SSL';

function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** Settings that only mean something together; one line per problem, naming the fix. */
export function kafkaSecurityProblems(config: KafkaSecurityValues): string[] {
  const protocol = config.KAFKA_SECURITY_PROTOCOL ?? 'PLAINTEXT';
  const problems: string[] = [];
  const saslSet = (['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const).filter((name) => config[name] !== undefined);
  if (usesSasl(protocol)) {
    for (const name of ['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const) {
      if (config[name] === undefined) problems.push(`${name}: required with KAFKA_SECURITY_PROTOCOL=${protocol} (not set)`);
    }
  } else if (saslSet.length > 0) {
    problems.push(`${saslSet.join(', ')}: set, but KAFKA_SECURITY_PROTOCOL=${protocol} does not authenticate; set KAFKA_SECURITY_PROTOCOL=SASL_SSL`);
  }
  const tlsSet = (['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE', 'KAFKA_SSL_KEY_PASSWORD'] as const).filter((name) => config[name] !== undefined);
  if (!usesTls(protocol) && tlsSet.length > 0) {
    problems.push(`${tlsSet.join(', ')}: set, but KAFKA_SECURITY_PROTOCOL=${protocol} does not use TLS; set KAFKA_SECURITY_PROTOCOL=${usesSasl(protocol) ? 'SASL_SSL' : 'SSL'}`);
  }
  if ((config.KAFKA_SSL_CERT_FILE === undefined) !== (config.KAFKA_SSL_KEY_FILE === undefined)) {
    problems.push('KAFKA_SSL_CERT_FILE, KAFKA_SSL_KEY_FILE: a client certificate needs both (set both or neither)');
  }
  if (config.KAFKA_SSL_KEY_PASSWORD !== undefined && config.KAFKA_SSL_KEY_FILE === undefined) {
    problems.push('KAFKA_SSL_KEY_PASSWORD: set without KAFKA_SSL_KEY_FILE');
  }
  if (config.NODE_ENV === 'production' && !usesTls(protocol)) {
    if (protocol === 'SASL_PLAINTEXT' && config.KAFKA_SASL_MECHANISM === 'PLAIN') {
      // PLAIN over an unencrypted connection hands the password to anyone on the path.
      problems.push('KAFKA_SECURITY_PROTOCOL: SASL_PLAINTEXT with KAFKA_SASL_MECHANISM=PLAIN sends the password in clear text; use SASL_SSL (refused with NODE_ENV=production)');
    } else if (!config.KAFKA_ALLOW_PLAINTEXT) {
      problems.push(
        `KAFKA_SECURITY_PROTOCOL: ${protocol} is unencrypted and NODE_ENV=production; use SASL_SSL or SSL, or set KAFKA_ALLOW_PLAINTEXT=true for a network you trust (a private network, a service mesh)`,
      );
    }
  }
  return problems;
}

export function schemaRegistrySecurityProblems(config: RegistrySecurityValues): string[] {
  const problems: string[] = [];
  const url = config.SCHEMA_REGISTRY_URL;
  const parsed = url === undefined ? undefined : parseUrl(url);
  const urlHasCredentials = parsed !== undefined && (parsed.username !== '' || parsed.password !== '');
  if (urlHasCredentials && config.SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO !== undefined) {
    problems.push('SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: set, and SCHEMA_REGISTRY_URL carries credentials too; give them once');
  }
  const https = parsed?.protocol === 'https:';
  const tlsSet = (['SCHEMA_REGISTRY_SSL_CA_FILE', 'SCHEMA_REGISTRY_SSL_CERT_FILE', 'SCHEMA_REGISTRY_SSL_KEY_FILE'] as const).filter((name) => config[name] !== undefined);
  if (parsed && !https && tlsSet.length > 0) problems.push(`${tlsSet.join(', ')}: set, but SCHEMA_REGISTRY_URL is not https`);
  if ((config.SCHEMA_REGISTRY_SSL_CERT_FILE === undefined) !== (config.SCHEMA_REGISTRY_SSL_KEY_FILE === undefined)) {
    problems.push('SCHEMA_REGISTRY_SSL_CERT_FILE, SCHEMA_REGISTRY_SSL_KEY_FILE: a client certificate needs both (set both or neither)');
  }
  if (config.NODE_ENV === 'production' && parsed && !https && (urlHasCredentials || config.SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO !== undefined)) {
    problems.push('SCHEMA_REGISTRY_URL: basic auth over http sends the password in clear text; use https (refused with NODE_ENV=production)');
  }
  return problems;
}

/**
 * Passwords the local stack and its defaults use. Anyone can read them here, so with
 * NODE_ENV=production a setting holding one is refused (databaseSecurityProblems).
 */
export const LOCAL_DEFAULT_PASSWORDS = {
  /** The warehouse owner `pipeline` of the local stack (DATABASE_URL's default). */
  databaseOwner: 'pipeline',
  /** The BI login `bi_reader` of the local stack. */
  biReader: 'bi_reader_local',
  /** The sink login `warehouse_sink` of the local stack (a member of warehouse_writer only). */
  warehouseSink: 'warehouse_sink_local',
} as const;

const KNOWN_PASSWORDS: ReadonlySet<string> = new Set([...Object.values(LOCAL_DEFAULT_PASSWORDS), 'postgres', 'password']);

interface DatabaseSecurityValues {
  NODE_ENV?: string;
  DATABASE_URL?: string;
  WAREHOUSE_BI_READER_PASSWORD?: string;
}

/** With NODE_ENV=production, a database password everyone knows (the local stack's, or none) is refused. */
export function databaseSecurityProblems(config: DatabaseSecurityValues): string[] {
  if (config.NODE_ENV !== 'production') return [];
  const problems: string[] = [];
  const url = config.DATABASE_URL === undefined ? undefined : parseUrl(config.DATABASE_URL);
  if (url) {
    const password = decodeURIComponent(url.password);
    if (password === '') problems.push('DATABASE_URL: has no password; give the warehouse login its own password (refused with NODE_ENV=production)');
    else if (KNOWN_PASSWORDS.has(password)) problems.push('DATABASE_URL: uses a default password of the local stack; give the warehouse login its own password (refused with NODE_ENV=production)');
  }
  if (config.WAREHOUSE_BI_READER_PASSWORD !== undefined && KNOWN_PASSWORDS.has(config.WAREHOUSE_BI_READER_PASSWORD)) {
    problems.push('WAREHOUSE_BI_READER_PASSWORD: is a default password of the local stack; choose another, or leave it unset to keep the current one (refused with NODE_ENV=production)');
  }
  return problems;
}
