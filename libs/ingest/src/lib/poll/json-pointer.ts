/** A JSON pointer (RFC 6901) that is not well formed. */
export class JsonPointerError extends Error {
  readonly retriable = false;
  readonly reasonClass = 'poll-config';
  constructor(
    readonly pointer: string,
    reason: string,
  ) {
    super(`JSON pointer ${JSON.stringify(pointer)} ${reason}`);
    this.name = 'JsonPointerError';
  }
}

/** The reference tokens of a pointer: "" is the whole document, "/a/b~1c" is ["a", "b/c"]. */
export function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new JsonPointerError(pointer, 'must be empty or start with "/"');
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~[^01]|~$/.test(token)) throw new JsonPointerError(pointer, `has a bad escape in "${token}" (only ~0 and ~1)`);
      // ~1 first, then ~0 (RFC 6901 §4), so "~01" is "~1", not "/".
      return token.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

/** The value a pointer refers to in a parsed JSON document, or undefined when there is none. */
export function resolvePointer(document: unknown, pointer: string | readonly string[]): unknown {
  let current = document;
  for (const token of typeof pointer === 'string' ? pointerTokens(pointer) : pointer) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
      current = current[Number(token)];
    } else if (current !== null && typeof current === 'object' && Object.hasOwn(current, token)) {
      current = (current as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return current;
}
