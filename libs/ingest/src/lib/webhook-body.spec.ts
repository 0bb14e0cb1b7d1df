import { isJsonContentType, jsonDepthExceeds, parseWebhookBody, truncatedBody, WebhookBodyError } from './webhook-body';

const problemOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof WebhookBodyError) return { problem: error.problem, status: error.status, deadLetter: error.deadLetter };
    throw error;
  }
  throw new Error('expected a WebhookBodyError');
};

describe('webhook bodies', () => {
  it('measures nesting without recursion, brackets in strings not counted', () => {
    expect(jsonDepthExceeds(Buffer.from('{"a":[{"b":1}]}'), 3)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from('{"a":[{"b":1}]}'), 2)).toBe(true);
    expect(jsonDepthExceeds(Buffer.from('{"a":"[[[[[[\\"[[[["}'), 1)).toBe(false);
    const deep = Buffer.from(`${'['.repeat(200_000)}${']'.repeat(200_000)}`);
    expect(jsonDepthExceeds(deep, 32)).toBe(true);
  });

  it('takes JSON content types only', () => {
    expect(isJsonContentType('application/json')).toBe(true);
    expect(isJsonContentType('Application/JSON; charset=utf-8')).toBe(true);
    expect(isJsonContentType('application/vnd.partner+json')).toBe(true);
    expect(isJsonContentType('text/plain')).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });

  it('refuses with 415, or 400 dead-lettering what was meant as data', () => {
    expect(problemOf(() => parseWebhookBody(Buffer.from('{}'), 'text/plain', 32))).toEqual({ problem: 'content-type', status: 415, deadLetter: false });
    expect(problemOf(() => parseWebhookBody(Buffer.from(`${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`), 'application/json', 32))).toEqual({ problem: 'too-deep', status: 400, deadLetter: true });
    expect(problemOf(() => parseWebhookBody(Buffer.from('{"a":'), 'application/json', 32))).toEqual({ problem: 'not-json', status: 400, deadLetter: true });
    expect(problemOf(() => parseWebhookBody(Buffer.from('[]'), 'application/json', 32))).toEqual({ problem: 'not-items', status: 400, deadLetter: false });
    expect(problemOf(() => parseWebhookBody(Buffer.from('"hello"'), 'application/json', 32))).toEqual({ problem: 'not-items', status: 400, deadLetter: false });
    expect(parseWebhookBody(Buffer.from('[{"a":1},{"b":2}]'), 'application/json', 32)).toEqual([{ a: 1 }, { b: 2 }]);
    expect(parseWebhookBody(Buffer.from('{"a":1}'), 'application/json', 32)).toEqual([{ a: 1 }]);
  });

  it('keeps a bounded start of a refused body', () => {
    expect(truncatedBody(Buffer.from('short'))).toBe('short');
    const kept = truncatedBody(Buffer.alloc(100_000, 0x5b), 4096);
    expect(kept.startsWith('['.repeat(4096))).toBe(true);
    expect(kept).toContain('100000 bytes, truncated');
  });
});
