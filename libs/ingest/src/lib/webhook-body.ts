/** Why a posted body was refused before its items were looked at. */
export type WebhookBodyProblem = 'content-type' | 'not-json' | 'too-deep' | 'not-items';

/**
 * A body refused as a whole: 415 for a wrong content type, 400 otherwise. `deadLetter`
 * says whether the bytes are kept on the dead-letter topic (input the sender meant as data).
 */
export class WebhookBodyError extends Error {
  readonly status: 400 | 415;
  readonly deadLetter: boolean;

  constructor(
    readonly problem: WebhookBodyProblem,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookBodyError';
    this.status = problem === 'content-type' ? 415 : 400;
    this.deadLetter = problem === 'too-deep' || problem === 'not-json';
  }
}

/** JSON only; `application/json` with any parameters (charset) or a `+json` type. */
export function isJsonContentType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || /^application\/[\w.-]+\+json$/.test(type);
}

/**
 * The deepest nesting of objects and arrays in a JSON text, measured in one loop over the
 * bytes (no recursion, so a 100,000-level body cannot exhaust the stack), stopping as soon
 * as `limit` is exceeded. Brackets inside strings do not count.
 */
export function jsonDepthExceeds(raw: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i += 1) {
    const byte = raw[i];
    if (inString) {
      if (byte === 0x5c) i += 1; // backslash: skip the escaped character
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (byte === 0x7d || byte === 0x5d) depth -= 1;
  }
  return false;
}

/** The items of a posted body: a JSON object, or a non-empty array of them. */
export function parseWebhookBody(raw: Buffer, contentType: string | undefined, maxDepth: number): unknown[] {
  if (!isJsonContentType(contentType)) throw new WebhookBodyError('content-type', `the body must be JSON (Content-Type: application/json), got ${contentType ? `"${contentType.slice(0, 100)}"` : 'no Content-Type'}`);
  if (jsonDepthExceeds(raw, maxDepth)) throw new WebhookBodyError('too-deep', `the body nests objects or arrays deeper than ${maxDepth} levels`);
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new WebhookBodyError('not-json', `the body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const items = Array.isArray(body) ? body : [body];
  if (body === null || typeof body !== 'object' || items.length === 0) {
    throw new WebhookBodyError('not-items', `the body must be a JSON object or an array of objects, got ${Array.isArray(body) ? 'an empty array' : body === null ? 'null' : typeof body}`);
  }
  return items;
}

/** The start of a refused body, as text, for its dead letter (bounded whatever was posted). */
export function truncatedBody(raw: Buffer, maxBytes = 4096): string {
  const text = raw.subarray(0, maxBytes).toString('utf8');
  return raw.length > maxBytes ? `${text}… (${raw.length} bytes, truncated)` : text;
}
