import { isIP } from 'node:net';
import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65535);
const address = z
  .string()
  .trim()
  .regex(/^[0-9A-Za-z.:-]+$/, 'must be an IP address or host name to listen on, e.g. 127.0.0.1 or 0.0.0.0');

/** A size as body parsers take it: bytes, or a number with kb / mb. */
const size = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^\d+(b|kb|mb)?$/, 'must be a size such as 1mb, 256kb or 65536 (bytes)');

const PROXY_PRESETS = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address or CIDR (address/prefix bits) or one of Express' presets. */
function isProxyEntry(entry: string): boolean {
  if (PROXY_PRESETS.has(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

/** Express' `trust proxy`: a hop count, or the proxies' addresses. Never `true` (trusting any sender's X-Forwarded-For). */
const trustedProxies = z
  .string()
  .trim()
  .transform((text, context): number | string[] => {
    if (/^\d+$/.test(text)) {
      const hops = Number(text);
      if (hops >= 1 && hops <= 10) return hops;
    }
    const entries = text.split(',').map((entry) => entry.trim());
    const invalid = entries.filter((entry) => !isProxyEntry(entry));
    if (invalid.length > 0) context.addIssue({ code: 'custom', message: `must be a hop count of 1 to 10 or addresses, CIDRs and loopback / linklocal / uniquelocal, comma separated; not ${invalid.map((entry) => JSON.stringify(entry)).join(', ')}` });
    return entries;
  });

/**
 * Where a service's HTTP server listens, and its ops endpoints (/health, /metrics) apart
 * from the API when OPS_PORT is set, so they can stay on a private address.
 */
export const httpServerEnv = {
  HTTP_BIND_ADDRESS: address.default('127.0.0.1').describe('address the HTTP port listens on (0.0.0.0: every interface, as in a container)'),
  OPS_PORT: port.optional().describe('serve /health and /metrics on this port instead of HTTP_PORT (default: on HTTP_PORT)'),
  OPS_BIND_ADDRESS: address.default('127.0.0.1').describe('address of OPS_PORT'),
  HTTP_BODY_LIMIT: size.default('1mb').describe('largest request body accepted (413 beyond)'),
  HTTP_TRUST_PROXY: trustedProxies.optional().describe('the proxies in front of the service whose X-Forwarded-For names the client: a hop count (1: the one load balancer) or addresses, CIDRs and loopback / linklocal / uniquelocal, comma separated (default: none, the client is the connection\'s peer)'),
};

/** `name:value` pairs, comma separated: named API keys or HMAC secrets. Values are never echoed. */
const namedSecrets = z
  .string()
  .trim()
  .transform((text, context) => {
    const entries = text === '' ? [] : text.split(',').map((entry) => entry.trim());
    const pairs: Array<{ name: string; secret: string }> = [];
    for (const [position, entry] of entries.entries()) {
      const colon = entry.indexOf(':');
      const name = colon > 0 ? entry.slice(0, colon).trim() : '';
      const secret = colon > 0 ? entry.slice(colon + 1).trim() : '';
      if (!/^[\w.-]{1,64}$/.test(name) || secret.length < 16) {
        // The entry itself is a secret: only its position is named.
        context.addIssue({ code: 'custom', message: `entry ${position + 1} must be <name>:<secret>, a name of letters, digits, ._- and a secret of at least 16 characters` });
        continue;
      }
      if (pairs.some((pair) => pair.name === name)) context.addIssue({ code: 'custom', message: `name "${name}" is given twice` });
      pairs.push({ name, secret });
    }
    return pairs;
  });

/** The local demo's key, accepted only without NODE_ENV=production and only when no key or secret is configured. */
export const LOCAL_WEBHOOK_API_KEY = { name: 'local-demo', secret: 'local-demo-key-not-for-production' } as const;

/** How the webhook authenticates, limits and parses what it is sent. */
export const webhookEnv = {
  WEBHOOK_AUTH: z.enum(['required', 'disabled'], { error: 'must be required or disabled' }).default('required').describe('disabled: accept unauthenticated posts (local demos only; refused with NODE_ENV=production)'),
  WEBHOOK_API_KEYS: namedSecrets.optional().describe('API keys senders put in X-API-Key (or Authorization: Bearer): name1:key1,name2:key2'),
  WEBHOOK_HMAC_SECRETS: namedSecrets.optional().describe('HMAC-SHA256 signing secrets: name1:secret1,name2:secret2'),
  WEBHOOK_REPLAY_WINDOW_S: z.coerce.number().int().min(1).max(3600).default(300).describe('a signature older or newer than this many seconds is refused'),
  WEBHOOK_RATE_LIMIT_PER_MIN: z.coerce.number().int().min(1).default(600).describe('requests per minute per key (429 with Retry-After beyond)'),
  WEBHOOK_AUTH_FAILURES_PER_MIN: z.coerce.number().int().min(1).default(60).describe('failed authentications per minute per client address; beyond, its requests are refused (429 with Retry-After) until the minute ends, valid credentials or not'),
  WEBHOOK_MAX_DEPTH: z.coerce.number().int().min(2).max(1000).default(32).describe('deepest nesting of objects and arrays in a posted body (400 and dead-lettered beyond)'),
  WEBHOOK_IDEMPOTENCY_TTL_S: z.coerce.number().int().min(1).default(86_400).describe('how long an Idempotency-Key is remembered'),
  WEBHOOK_IDEMPOTENCY_MAX_KEYS: z.coerce.number().int().min(1).default(100_000).describe('most Idempotency-Keys remembered (oldest forgotten first)'),
  NODE_ENV: z.string().optional().describe('production turns on the secure defaults'),
};

type WebhookValues = Partial<z.infer<z.ZodObject<typeof webhookEnv>>>;

/** Settings of the webhook that only mean something together. */
export function webhookProblems(config: WebhookValues): string[] {
  const production = config.NODE_ENV === 'production';
  const configured = (config.WEBHOOK_API_KEYS?.length ?? 0) + (config.WEBHOOK_HMAC_SECRETS?.length ?? 0) > 0;
  if (production && config.WEBHOOK_AUTH === 'disabled') return ['WEBHOOK_AUTH: disabled is refused with NODE_ENV=production; set WEBHOOK_API_KEYS or WEBHOOK_HMAC_SECRETS'];
  if (production && !configured && config.WEBHOOK_AUTH !== 'disabled') {
    return ['WEBHOOK_API_KEYS, WEBHOOK_HMAC_SECRETS: at least one key or secret is required with NODE_ENV=production (the local demo key is refused there)'];
  }
  return [];
}
