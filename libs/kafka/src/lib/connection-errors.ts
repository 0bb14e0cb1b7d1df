import { describeSecurity, type KafkaSecurity } from './security';

/** Why a secured connection failed, in words an operator acts on. */
export type ConnectionProblem = 'authentication' | 'certificate' | 'tls-handshake';

/**
 * A connection to Kafka or the registry that no retry will fix until a setting changes
 * (wrong password, untrusted certificate, TLS against a plaintext port). One line, naming
 * the cause and the setting to look at; never the password.
 */
export class SecureConnectionError extends Error {
  /** Retrying helps only once an operator fixes the credentials or the certificates; callers may still wait for that. */
  readonly retriable = false;
  readonly reasonClass = 'connection-security';
  constructor(
    readonly problem: ConnectionProblem,
    readonly target: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = 'SecureConnectionError';
  }
}

// Node's TLS verification codes (tls.connect) that mean "this certificate is not trusted here".
const CERTIFICATE_CODES = [
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
];
const CERTIFICATE_TEXT = /self[- ]signed certificate( in certificate chain)?|unable to verify|unable to get (local )?issuer certificate|certificate has expired|certificate is not yet valid|does not match certificate's altnames|certificate signature failure/i;
const HANDSHAKE_TEXT = /wrong version number|disconnected before secure TLS connection|packet length too long|unknown protocol|ssl3_get_record|EPROTO/i;
const AUTHENTICATION_TEXT = /SASL .*authentication failed|Invalid username or password|SaslAuthenticationException|Authentication failed|does not support the requested SASL mechanism|SASL mechanism/i;

/** The text and code of an error and its causes (kafkajs wraps the socket's error, the registry client its own). */
function flatten(error: unknown): { text: string; codes: string[] } {
  const texts: string[] = [];
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if (typeof current === 'string') {
      texts.push(current);
      break;
    }
    if (typeof current !== 'object') break;
    const record = current as { message?: unknown; name?: unknown; code?: unknown; cause?: unknown; originalError?: unknown; error?: unknown };
    if (typeof record.name === 'string') texts.push(record.name);
    if (typeof record.message === 'string') texts.push(record.message);
    if (typeof record.error === 'string') texts.push(record.error);
    if (typeof record.code === 'string') codes.push(record.code);
    current = record.cause ?? record.originalError;
  }
  return { text: texts.join(' | '), codes };
}

/** The Node message of a certificate failure, without kafkajs's "Connection error:" prefix. */
function certificateReason(text: string): string {
  return CERTIFICATE_TEXT.exec(text)?.[0] ?? 'certificate verification failed';
}

/** Which problem an error (or a log line) shows, if it is one that settings fix. */
export function connectionProblemOf(error: unknown): { problem: ConnectionProblem; reason: string } | undefined {
  const { text, codes } = flatten(error);
  const code = codes.find((candidate) => CERTIFICATE_CODES.includes(candidate));
  if (code || CERTIFICATE_TEXT.test(text)) {
    const reason = code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /altnames/.test(text) ? "the certificate does not name this host (hostname verification is on)" : certificateReason(text);
    return { problem: 'certificate', reason: code ? `${reason} (${code})` : reason };
  }
  if (/KafkaJSSASLAuthenticationError/.test(text) || AUTHENTICATION_TEXT.test(text)) {
    const unsupported = /does not support the requested SASL mechanism|UNSUPPORTED_SASL_MECHANISM/i.test(text);
    return { problem: 'authentication', reason: unsupported ? 'the broker does not accept this SASL mechanism on this listener' : 'invalid user name or password' };
  }
  if (HANDSHAKE_TEXT.test(text)) return { problem: 'tls-handshake', reason: 'the TLS handshake failed' };
  return undefined;
}

const KAFKA_HINT: Record<ConnectionProblem, string> = {
  authentication: 'check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
  certificate: "set KAFKA_SSL_CA_FILE to the CA that signed the brokers' certificates (system CAs otherwise), and connect with a host name the certificate names",
  'tls-handshake': 'is this a TLS listener? check KAFKA_SECURITY_PROTOCOL and the port',
};

/**
 * The one line an operator sees when a Kafka connection fails for a reason only a setting
 * fixes; undefined for other failures (unreachable, timeouts), which stay as they are.
 */
export function explainKafkaError(error: unknown, brokers: readonly string[], security: KafkaSecurity | undefined): SecureConnectionError | undefined {
  if (error instanceof SecureConnectionError) return error;
  const found = connectionProblemOf(error);
  if (!found) return undefined;
  const broker = typeof error === 'object' && error !== null && 'broker' in error && typeof error.broker === 'string' ? error.broker : brokers.join(',');
  const what = found.problem === 'authentication' ? 'authentication failed' : found.problem === 'certificate' ? 'TLS certificate not trusted' : 'TLS handshake failed';
  return new SecureConnectionError(found.problem, broker, `Kafka ${broker}: ${what}: ${found.reason} [${describeSecurity(security)}]; ${KAFKA_HINT[found.problem]}`, error);
}

const REGISTRY_HINT: Record<ConnectionProblem, string> = {
  authentication: 'check SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO (or the credentials in SCHEMA_REGISTRY_URL)',
  certificate: "set SCHEMA_REGISTRY_SSL_CA_FILE to the CA that signed the registry's certificate (system CAs otherwise)",
  'tls-handshake': 'is the registry served over https? check SCHEMA_REGISTRY_URL',
};

/** The registry counterpart of explainKafkaError: 401/403 and TLS failures in one line. */
export function explainRegistryError(error: unknown, url: string): SecureConnectionError | undefined {
  if (error instanceof SecureConnectionError) return error;
  const status = typeof error === 'object' && error !== null && 'status' in error ? Number(error.status) : undefined;
  if (status === 401 || status === 403) {
    return new SecureConnectionError('authentication', url, `schema registry ${url}: authentication failed (HTTP ${status}); ${REGISTRY_HINT.authentication}`, error);
  }
  const found = connectionProblemOf(error);
  if (!found || found.problem === 'authentication') return undefined;
  const what = found.problem === 'certificate' ? 'TLS certificate not trusted' : 'TLS handshake failed';
  return new SecureConnectionError(found.problem, url, `schema registry ${url}: ${what}: ${found.reason}; ${REGISTRY_HINT[found.problem]}`, error);
}
