import { authenticateWebhook, webhookSignature, type WebhookAuthOptions } from './webhook-auth';

describe('authenticateWebhook', () => {
  const options: WebhookAuthOptions = {
    apiKeys: [
      { name: 'partner-a', secret: 'a-very-long-api-key-0001' },
      { name: 'partner-b', secret: 'b-very-long-api-key-0002' },
    ],
    hmacSecrets: [{ name: 'signer', secret: 'hmac-secret-of-the-signer' }],
    replayWindowS: 300,
  };
  const body = Buffer.from('{"a":1}');
  const now = 1_760_000_000_000;
  const ts = String(now / 1000);

  it('names the sender of a valid API key, in X-API-Key or as a bearer token', () => {
    expect(authenticateWebhook(options, { 'x-api-key': 'b-very-long-api-key-0002' }, body, now)).toEqual({ ok: true, client: 'partner-b' });
    expect(authenticateWebhook(options, { authorization: 'Bearer a-very-long-api-key-0001' }, body, now)).toEqual({ ok: true, client: 'partner-a' });
  });

  it('refuses no credentials, a wrong key and a bearer "nope"', () => {
    expect(authenticateWebhook(options, {}, body, now)).toMatchObject({ ok: false, failure: 'missing-credentials' });
    expect(authenticateWebhook(options, { 'x-api-key': 'a-very-long-api-key-0009' }, body, now)).toMatchObject({ ok: false, failure: 'invalid-key' });
    expect(authenticateWebhook(options, { authorization: 'Bearer nope' }, body, now)).toMatchObject({ ok: false, failure: 'invalid-key' });
  });

  it('accepts a signature over timestamp and body within the replay window, and nothing else', () => {
    const signed = (timestamp: string, signature = webhookSignature('hmac-secret-of-the-signer', timestamp, body)) => ({ 'x-webhook-timestamp': timestamp, 'x-webhook-signature': signature });
    expect(authenticateWebhook(options, signed(ts), body, now)).toEqual({ ok: true, client: 'signer' });
    expect(authenticateWebhook(options, signed(ts), Buffer.from('{"a":2}'), now)).toMatchObject({ ok: false, failure: 'invalid-signature' });
    expect(authenticateWebhook(options, signed(ts, webhookSignature('another-secret-entirely', ts, body)), body, now)).toMatchObject({ ok: false, failure: 'invalid-signature' });
    expect(authenticateWebhook(options, signed(String(now / 1000 - 301)), body, now)).toMatchObject({ ok: false, failure: 'stale-signature' });
    expect(authenticateWebhook(options, signed(String(now / 1000 + 301)), body, now)).toMatchObject({ ok: false, failure: 'stale-signature' });
    expect(authenticateWebhook(options, signed('yesterday'), body, now)).toMatchObject({ ok: false, failure: 'invalid-signature' });
  });

  it('lets anything through only when disabled, but still refuses wrong credentials then', () => {
    expect(authenticateWebhook({ ...options, disabled: true }, {}, body, now)).toEqual({ ok: true, client: 'anonymous' });
    expect(authenticateWebhook({ ...options, disabled: true }, { 'x-api-key': 'wrong-key' }, body, now)).toMatchObject({ ok: false });
  });

  it('never echoes the key or signature it was given', () => {
    const result = authenticateWebhook(options, { 'x-api-key': 'guessed-secret-value' }, body, now);
    expect(JSON.stringify(result)).not.toContain('guessed-secret-value');
  });
});
