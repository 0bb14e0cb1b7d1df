/**
 * Imported first by the webhook test: the service's environment, with a topic namespace of the
 * test run's own, in place before the service starts (its config is read when Nest builds it).
 */
import { randomUUID } from 'node:crypto';

export const TOPIC_NAMESPACE = `it-${randomUUID().slice(0, 8)}.`;
// Random ports: the config is validated when the app module loads, before anything could ask the OS for a free one
// (freePort). Below Linux's ephemeral range (32768–60999), where a client connection's own port took one (EADDRINUSE).
export const HTTP_PORT = 10_000 + Math.floor(Math.random() * 5_000);
export const OPS_PORT = HTTP_PORT + 5_000;

/** The test's senders: two API keys (one for the rate limit alone) and a signing secret. */
export const API_KEY = `it-key-${randomUUID()}`;
export const BURST_API_KEY = `it-burst-${randomUUID()}`;
export const HMAC_SECRET = `it-hmac-${randomUUID()}`;
export const RATE_LIMIT_PER_MIN = 40;
/** Above the 401 test's six failures from the test's own address. */
export const AUTH_FAILURES_PER_MIN = 8;

Object.assign(process.env, {
  PIPELINE_TOPIC_NAMESPACE: TOPIC_NAMESPACE,
  INGEST_GENERATORS: 'none',
  HTTP_PORT: String(HTTP_PORT),
  OPS_PORT: String(OPS_PORT),
  LOG_LEVEL: 'warn',
  WEBHOOK_API_KEYS: `tests:${API_KEY},burst:${BURST_API_KEY}`,
  WEBHOOK_HMAC_SECRETS: `signer:${HMAC_SECRET}`,
  WEBHOOK_REPLAY_WINDOW_S: '300',
  WEBHOOK_RATE_LIMIT_PER_MIN: String(RATE_LIMIT_PER_MIN),
  WEBHOOK_AUTH_FAILURES_PER_MIN: String(AUTH_FAILURES_PER_MIN),
  HTTP_TRUST_PROXY: 'loopback',
  WEBHOOK_MAX_DEPTH: '32',
});
