import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import type { kafkaSecurityEnv, schemaRegistrySecurityEnv, endpointEnv } from '@pipeline/config';
import type { z } from 'zod';
import { parseBrokerList } from './kafka-client';

/** PEM files of a TLS connection; none set: the system CAs, no client certificate. */
export interface TlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  keyPassword?: string;
}

export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface SaslCredentials {
  mechanism: SaslMechanism;
  username: string;
  password: string;
}

/** How a client authenticates and encrypts; absent parts are off (PLAINTEXT is neither). */
export interface KafkaSecurity {
  protocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
  sasl?: SaslCredentials;
  tls?: TlsFiles;
}

/** One cluster as every client of it needs it: where, and how to connect securely. */
export interface KafkaCluster {
  brokers: string[];
  security?: KafkaSecurity;
}

export interface SchemaRegistryConnection {
  /** Base URL without credentials. */
  url: string;
  auth?: { username: string; password: string };
  tls?: TlsFiles;
}

type KafkaEnv = Pick<z.infer<z.ZodObject<typeof endpointEnv>>, 'KAFKA_BROKERS'> & Partial<z.infer<z.ZodObject<typeof kafkaSecurityEnv>>>;
type RegistryEnv = Pick<z.infer<z.ZodObject<typeof endpointEnv>>, 'SCHEMA_REGISTRY_URL'> & Partial<z.infer<z.ZodObject<typeof schemaRegistrySecurityEnv>>>;

/**
 * The one way from validated settings (libs/config) to a cluster: every service, the CLI and
 * the health checks build their clients from this, so a secured cluster needs no code change.
 */
export function kafkaClusterFrom(env: KafkaEnv): KafkaCluster {
  const protocol = env.KAFKA_SECURITY_PROTOCOL ?? 'PLAINTEXT';
  const security: KafkaSecurity = { protocol };
  if (protocol === 'SASL_SSL' || protocol === 'SASL_PLAINTEXT') {
    // libs/config refuses SASL without all three; this guards callers that skipped it.
    if (!env.KAFKA_SASL_MECHANISM || !env.KAFKA_SASL_USERNAME || !env.KAFKA_SASL_PASSWORD) {
      throw new Error(`KAFKA_SECURITY_PROTOCOL=${protocol} needs KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`);
    }
    security.sasl = { mechanism: env.KAFKA_SASL_MECHANISM, username: env.KAFKA_SASL_USERNAME, password: env.KAFKA_SASL_PASSWORD };
  }
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    security.tls = { caFile: env.KAFKA_SSL_CA_FILE, certFile: env.KAFKA_SSL_CERT_FILE, keyFile: env.KAFKA_SSL_KEY_FILE, keyPassword: env.KAFKA_SSL_KEY_PASSWORD };
  }
  return { brokers: parseBrokerList(env.KAFKA_BROKERS), security };
}

/** Registry URL and credentials: basic auth from SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO or from the URL's user info. */
export function schemaRegistryFrom(env: RegistryEnv): SchemaRegistryConnection {
  const url = new URL(env.SCHEMA_REGISTRY_URL);
  let auth: SchemaRegistryConnection['auth'];
  if (url.username !== '' || url.password !== '') {
    auth = { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
    url.username = '';
    url.password = '';
  }
  const userInfo = env.SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO;
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    auth = { username: userInfo.slice(0, colon), password: userInfo.slice(colon + 1) };
  }
  const https = url.protocol === 'https:';
  const tls = https ? { caFile: env.SCHEMA_REGISTRY_SSL_CA_FILE, certFile: env.SCHEMA_REGISTRY_SSL_CERT_FILE, keyFile: env.SCHEMA_REGISTRY_SSL_KEY_FILE } : undefined;
  return { url: url.toString().replace(/\/+$/, ''), auth, tls };
}

/** A registry given as a plain URL (the local stack, tests) or as a full connection. */
export function registryConnection(registry: string | SchemaRegistryConnection): SchemaRegistryConnection {
  return typeof registry === 'string' ? schemaRegistryFrom({ SCHEMA_REGISTRY_URL: registry }) : registry;
}

/** Node TLS options from PEM files; hostname verification stays on (Node's default, never turned off here). */
export function tlsOptions(files: TlsFiles): ConnectionOptions {
  const read = (path: string) => readFileSync(path);
  return {
    ...(files.caFile && { ca: read(files.caFile) }),
    ...(files.certFile && { cert: read(files.certFile) }),
    ...(files.keyFile && { key: read(files.keyFile) }),
    ...(files.keyPassword && { passphrase: files.keyPassword }),
    rejectUnauthorized: true,
  };
}

const KAFKAJS_MECHANISM: Record<SaslMechanism, 'plain' | 'scram-sha-256' | 'scram-sha-512'> = { PLAIN: 'plain', 'SCRAM-SHA-256': 'scram-sha-256', 'SCRAM-SHA-512': 'scram-sha-512' };

/** The kafkajs options of a cluster's security (ssl, sasl); nothing for PLAINTEXT. */
export function kafkajsSecurity(security: KafkaSecurity | undefined): { ssl?: ConnectionOptions; sasl?: SASLOptions } {
  if (!security) return {};
  const options: { ssl?: ConnectionOptions; sasl?: SASLOptions } = {};
  if (security.tls) options.ssl = tlsOptions(security.tls);
  if (security.sasl) options.sasl = { mechanism: KAFKAJS_MECHANISM[security.sasl.mechanism], username: security.sasl.username, password: security.sasl.password };
  return options;
}

/** For logs and errors: how a client connects, never with the password. */
export function describeSecurity(security: KafkaSecurity | undefined): string {
  if (!security || security.protocol === 'PLAINTEXT') return 'PLAINTEXT';
  const parts: string[] = [security.protocol];
  if (security.sasl) parts.push(`${security.sasl.mechanism} as "${security.sasl.username}"`);
  if (security.tls) parts.push(security.tls.caFile ? `CA file ${security.tls.caFile}` : 'system CAs');
  return parts.join(', ');
}
