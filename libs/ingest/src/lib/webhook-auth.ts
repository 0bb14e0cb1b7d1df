import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** A named API key or HMAC signing secret, from configuration. */
export interface NamedSecret {
  name: string;
  secret: string;
}

export interface WebhookAuthOptions {
  apiKeys: readonly NamedSecret[];
  hmacSecrets: readonly NamedSecret[];
  /** A signature's timestamp may be this far from now, either way. */
  replayWindowS: number;
  /** Accept requests without credentials (local demos). */
  disabled?: boolean;
}

/** The headers a sender authenticates with (lower case, as Node gives them). */
export const WEBHOOK_AUTH_HEADERS = {
  apiKey: 'x-api-key',
  timestamp: 'x-webhook-timestamp',
  signature: 'x-webhook-signature',
} as const;

export type WebhookAuthFailure = 'missing-credentials' | 'invalid-key' | 'invalid-signature' | 'stale-signature';

export type WebhookAuthResult = { ok: true; client: string } | { ok: false; failure: WebhookAuthFailure; message: string };

type Headers = Record<string, string | string[] | undefined>;

const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/** Equal-length digests compared in constant time, so neither length nor content leaks through timing. */
function sameSecret(given: string | Buffer, expected: string | Buffer): boolean {
  const digest = (value: string | Buffer) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** `sha256=<hex>` of HMAC-SHA256(secret, `<timestamp>.<raw body>`): what a sender puts in X-Webhook-Signature. */
export function webhookSignature(secret: string, timestamp: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

/**
 * Who sent a request: a named API key (X-API-Key or Authorization: Bearer) or a named HMAC
 * secret whose signature over timestamp + raw body matches, the timestamp within the replay
 * window. Every configured key is compared (no early exit), each in constant time.
 */
export function authenticateWebhook(options: WebhookAuthOptions, headers: Headers, rawBody: Buffer, nowMs: number): WebhookAuthResult {
  const bearer = /^Bearer\s+(.+)$/i.exec(single(headers['authorization']) ?? '')?.[1]?.trim();
  const apiKey = single(headers[WEBHOOK_AUTH_HEADERS.apiKey]) ?? bearer;
  const signature = single(headers[WEBHOOK_AUTH_HEADERS.signature]);
  if (apiKey !== undefined) {
    let client: string | undefined;
    for (const key of options.apiKeys) if (sameSecret(apiKey, key.secret) && client === undefined) client = key.name;
    if (client !== undefined) return { ok: true, client };
    return { ok: false, failure: 'invalid-key', message: 'the API key is not valid' };
  }
  if (signature !== undefined) {
    const timestamp = single(headers[WEBHOOK_AUTH_HEADERS.timestamp]) ?? '';
    if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, failure: 'invalid-signature', message: 'X-Webhook-Timestamp must be the signing time in Unix seconds' };
    const skewS = Math.abs(nowMs / 1000 - Number(timestamp));
    if (skewS > options.replayWindowS) {
      return { ok: false, failure: 'stale-signature', message: `the signature's timestamp is ${Math.round(skewS)} s from now, outside the ${options.replayWindowS} s replay window` };
    }
    let client: string | undefined;
    for (const secret of options.hmacSecrets) {
      if (sameSecret(signature, webhookSignature(secret.secret, timestamp, rawBody)) && client === undefined) client = secret.name;
    }
    if (client !== undefined) return { ok: true, client };
    return { ok: false, failure: 'invalid-signature', message: 'the signature does not match the body and timestamp' };
  }
  if (options.disabled) return { ok: true, client: 'anonymous' };
  return { ok: false, failure: 'missing-credentials', message: 'send an API key (X-API-Key) or a signature (X-Webhook-Signature, X-Webhook-Timestamp)' };
}
