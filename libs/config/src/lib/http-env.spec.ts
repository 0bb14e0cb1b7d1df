import { ConfigValidationError, parseEnv } from './env-schema';
import { httpServerEnv, webhookEnv } from './http-env';

const shape = { ...httpServerEnv, ...webhookEnv };

function problemsOf(raw: Record<string, unknown>): string {
  try {
    parseEnv('svc', shape, raw);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigValidationError');
}

describe('webhook and HTTP settings', () => {
  it('reads named keys and secrets, with local defaults', () => {
    const config = parseEnv('svc', shape, { WEBHOOK_API_KEYS: 'a:0123456789abcdef0,b:fedcba98765432100', WEBHOOK_HMAC_SECRETS: 's:secret-of-sixteen+' });
    expect(config.WEBHOOK_API_KEYS).toEqual([
      { name: 'a', secret: '0123456789abcdef0' },
      { name: 'b', secret: 'fedcba98765432100' },
    ]);
    expect(config.WEBHOOK_HMAC_SECRETS).toEqual([{ name: 's', secret: 'secret-of-sixteen+' }]);
    expect(config).toMatchObject({ WEBHOOK_AUTH: 'required', WEBHOOK_REPLAY_WINDOW_S: 300, HTTP_BIND_ADDRESS: '127.0.0.1', HTTP_BODY_LIMIT: '1mb' });
    expect(config.OPS_PORT).toBeUndefined();
  });

  it('refuses a malformed or short key without echoing it', () => {
    const message = problemsOf({ WEBHOOK_API_KEYS: 'a:short-key-1,nocolon-secret-value' });
    expect(message).toContain('WEBHOOK_API_KEYS: entry 1 must be <name>:<secret>');
    expect(message).toContain('entry 2');
    expect(message).not.toMatch(/short-key-1|nocolon-secret-value/);
    expect(problemsOf({ WEBHOOK_HMAC_SECRETS: 'x:1234567890123456,x:6543210987654321' })).toContain('name "x" is given twice');
  });

  it('refuses disabled auth and the local demo key in production, loudly naming the fix', () => {
    expect(problemsOf({ NODE_ENV: 'production', WEBHOOK_AUTH: 'disabled' })).toContain('WEBHOOK_AUTH: disabled is refused with NODE_ENV=production');
    expect(problemsOf({ NODE_ENV: 'production' })).toContain('at least one key or secret is required with NODE_ENV=production');
    expect(parseEnv('svc', shape, { NODE_ENV: 'production', WEBHOOK_API_KEYS: 'prod:0123456789abcdef0' }).WEBHOOK_AUTH).toBe('required');
    expect(parseEnv('svc', shape, { WEBHOOK_AUTH: 'disabled' }).WEBHOOK_AUTH).toBe('disabled');
  });

  it('checks addresses, ports and sizes', () => {
    const message = problemsOf({ HTTP_BIND_ADDRESS: 'every interface', OPS_PORT: '70000', HTTP_BODY_LIMIT: 'huge' });
    expect(message).toContain('HTTP_BIND_ADDRESS: must be an IP address');
    expect(message).toContain('OPS_PORT');
    expect(message).toContain('HTTP_BODY_LIMIT: must be a size');
  });

  it('trusts no proxy by default; a hop count or proxy addresses when given, never any sender', () => {
    const parse = (value: string) => parseEnv('svc', shape, { HTTP_TRUST_PROXY: value }).HTTP_TRUST_PROXY;
    expect(parseEnv('svc', shape, {}).HTTP_TRUST_PROXY).toBeUndefined();
    expect(parse('1')).toBe(1);
    expect(parse('loopback, 10.0.0.0/8,fd00::/8, 192.0.2.7')).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8', '192.0.2.7']);
    const message = problemsOf({ HTTP_TRUST_PROXY: 'true,10.0.0.0/33,0' });
    expect(message).toContain('HTTP_TRUST_PROXY: must be a hop count of 1 to 10 or addresses');
    expect(message).toContain('"true", "10.0.0.0/33", "0"');
    expect(problemsOf({ HTTP_TRUST_PROXY: '11' })).toContain('not "11"');
  });

  it('allows 60 failed authentications per minute and address unless told otherwise', () => {
    expect(parseEnv('svc', shape, {}).WEBHOOK_AUTH_FAILURES_PER_MIN).toBe(60);
    expect(parseEnv('svc', shape, { WEBHOOK_AUTH_FAILURES_PER_MIN: '5' }).WEBHOOK_AUTH_FAILURES_PER_MIN).toBe(5);
    expect(problemsOf({ WEBHOOK_AUTH_FAILURES_PER_MIN: '0' })).toContain('WEBHOOK_AUTH_FAILURES_PER_MIN');
  });
});
