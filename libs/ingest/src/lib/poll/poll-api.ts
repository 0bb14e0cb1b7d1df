import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DOMAINS, type Domain } from '@pipeline/contracts';
import type { Admission, EventContract } from '../source';
import { admitParsed } from '../source';
import { JsonPointerError, pointerTokens, resolvePointer } from './json-pointer';

/** How the next page is found. */
export type Pagination =
  /** The page names the next cursor (at `cursor`, a JSON pointer); it is sent as query parameter `param`. */
  | { kind: 'cursor'; cursor: string; param: string }
  /** The response's `Link: <…>; rel="next"` header. */
  | { kind: 'link' }
  /** Query parameter `param` set to the highest event time received so far (ISO-8601 or epoch ms); items at that time come again and are skipped as seen. */
  | { kind: 'since'; param: string; format: 'iso' | 'epoch-ms' };

/** What to GET and how its JSON maps onto the contract. Pointers are RFC 6901 JSON pointers. */
export interface PollApi {
  url: string;
  headers?: Record<string, string>;
  /** Where the items array is in a page ("" when the page is the array). */
  items: string;
  /** Where an item's unique id is (skipping items already seen). */
  eventId: string;
  /** Contract field → pointer in the item; nested fields dotted (`location.latitude`). */
  fields: Record<string, string>;
  pagination: Pagination;
}

export interface PollTuning {
  /** Wait between polls once the last page is reached, ms. Default 10,000. */
  intervalMs: number;
  /** A request with no complete response in this time fails (retriable), ms. Default 10,000. */
  timeoutMs: number;
  /** Attempts of one request before the poll counts as failed (retried at the next poll). Default 4. */
  maxAttempts: number;
  /** Longest wait a Retry-After may impose, ms. Default 60,000. */
  maxRetryAfterMs: number;
  /** Event ids remembered (committed with the position) to skip items served again. Default 2,000. */
  rememberIds: number;
}

export const POLL_TUNING_DEFAULTS: PollTuning = { intervalMs: 10_000, timeoutMs: 10_000, maxAttempts: 4, maxRetryAfterMs: 60_000, rememberIds: 2_000 };

const pointer = z.string().refine(
  (text) => {
    try {
      pointerTokens(text);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'must be a JSON pointer: "" or "/a/b" (~1 for "/", ~0 for "~")' },
);

const positiveInt = z.number().int().positive();

/** A poll job's configuration file: the domain it feeds, the API and, optionally, its tuning. */
export const pollConfigSchema = z.strictObject({
  domain: z.enum(DOMAINS as [Domain, ...Domain[]]),
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  headers: z.record(z.string(), z.string()).optional(),
  items: pointer,
  eventId: pointer,
  fields: z.record(z.string().min(1), pointer),
  pagination: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('cursor'), cursor: pointer, param: z.string().min(1).default('cursor') }),
    z.strictObject({ kind: z.literal('link') }),
    z.strictObject({ kind: z.literal('since'), param: z.string().min(1).default('since'), format: z.enum(['iso', 'epoch-ms']).default('iso') }),
  ]),
  intervalMs: positiveInt.default(POLL_TUNING_DEFAULTS.intervalMs),
  timeoutMs: positiveInt.default(POLL_TUNING_DEFAULTS.timeoutMs),
  maxAttempts: positiveInt.default(POLL_TUNING_DEFAULTS.maxAttempts),
  maxRetryAfterMs: z.number().int().min(0).default(POLL_TUNING_DEFAULTS.maxRetryAfterMs),
  rememberIds: positiveInt.default(POLL_TUNING_DEFAULTS.rememberIds),
});

export type PollConfig = z.output<typeof pollConfigSchema>;

export class PollConfigError extends Error {
  readonly retriable = false;
  readonly reasonClass = 'poll-config';
  constructor(
    readonly where: string,
    readonly problems: string[],
  ) {
    super(`poll configuration ${where}: ${problems.join('; ')}`);
    this.name = 'PollConfigError';
  }
}

/** Validates a parsed configuration file; every problem is named with its path. */
export function parsePollConfig(raw: unknown, where = '(inline)'): PollConfig {
  const result = pollConfigSchema.safeParse(raw);
  if (!result.success) throw new PollConfigError(where, result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'} ${issue.message}`));
  return result.data;
}

/** Reads and validates a configuration file (JSON). */
export function readPollConfigFile(file: string): PollConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PollConfigError(file, [error instanceof Error ? error.message : String(error)]);
  }
  return parsePollConfig(raw, file);
}

/** The tuning part of a configuration. */
export function pollTuningOf(config: PollConfig): PollTuning {
  return { intervalMs: config.intervalMs, timeoutMs: config.timeoutMs, maxAttempts: config.maxAttempts, maxRetryAfterMs: config.maxRetryAfterMs, rememberIds: config.rememberIds };
}

/** One mapping of the item onto the contract, pointers parsed once. */
interface FieldMapping {
  path: string[];
  tokens: string[];
}

/**
 * Maps API items onto a contract. Unknown field names and unmapped required fields fail at
 * once (every item would be dead-lettered otherwise); text values of non-text fields (an
 * ISO-8601 time, "21.5") are read as the contract reads text, so the contract names what is wrong.
 */
export class ItemMapping<T> {
  private readonly mappings: FieldMapping[];
  private readonly idTokens: string[];

  constructor(
    private readonly contract: EventContract<T>,
    api: Pick<PollApi, 'fields' | 'eventId'>,
  ) {
    const problems: string[] = [];
    const known = Object.keys(contract.fields);
    const mapped = new Set<string>();
    this.mappings = Object.entries(api.fields).map(([name, fieldPointer]) => {
      const path = name.split('.');
      const top = path[0] ?? '';
      if (!known.includes(top)) problems.push(`field ${name} is not in ${contract.name} (${known.join(', ')})`);
      mapped.add(top);
      return { path, tokens: pointerTokens(fieldPointer) };
    });
    for (const name of known) if (!mapped.has(name) && !contract.fields[name]?.nullable) problems.push(`required field ${name} of ${contract.name} is not mapped`);
    if (problems.length > 0) throw new PollConfigError('fields', problems);
    this.idTokens = pointerTokens(api.eventId);
  }

  /** The item's event id (text), or undefined when it has none. */
  idOf(item: unknown): string | undefined {
    const id = resolvePointer(item, this.idTokens);
    return typeof id === 'string' && id !== '' ? id : typeof id === 'number' && Number.isFinite(id) ? String(id) : undefined;
  }

  /** The item as a contract value, or a rejection naming every bad field (raw: the item as received). */
  admit(item: unknown): Admission<T> {
    const value: Record<string, unknown> = {};
    for (const { path, tokens } of this.mappings) {
      let found = resolvePointer(item, tokens);
      if (found === undefined) continue;
      const field = path.length === 1 ? this.contract.fields[path[0] ?? ''] : undefined;
      if (typeof found === 'string' && field && field.avro !== 'string') {
        const read = field.text.safeParse(found);
        if (read.success) found = read.data;
      }
      let target = value;
      for (const step of path.slice(0, -1)) {
        const next = target[step];
        target = (typeof next === 'object' && next !== null ? next : (target[step] = {})) as Record<string, unknown>;
      }
      target[path[path.length - 1] ?? ''] = found;
    }
    return admitParsed(() => this.contract.parse(value), () => item);
  }
}

export { JsonPointerError };
