import { backoffMs } from '@pipeline/streaming';
import type { Clock } from '../publish/clock';

/** Why a poll request failed; `retriable` ones are retried (Retry-After or backoff), the others stop the job. */
export class PollHttpError extends Error {
  constructor(
    readonly url: string,
    readonly reasonClass: 'poll-status' | 'poll-throttled' | 'poll-server' | 'poll-timeout' | 'poll-network' | 'poll-malformed',
    reason: string,
    readonly retriable: boolean,
    readonly details: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(`GET ${url}: ${reason}`, { cause: details.cause });
    this.name = 'PollHttpError';
  }
}

/** Validators of a page's last response, sent back so an unchanged page costs a 304. */
export interface Validators {
  etag?: string;
  lastModified?: string;
}

export type PageResponse = { kind: 'not-modified' } | { kind: 'page'; body: unknown; validators: Validators; nextLink?: string };

export interface RequestOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Checks the parsed body (e.g. that the items pointer is an array); a message makes it a malformed page. */
  check?: (body: unknown) => string | undefined;
  signal?: AbortSignal;
}

/** Retry-After (RFC 9110 §10.2.3): delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The `rel="next"` target of a Link header (RFC 8288), resolved against the request URL. */
export function nextLinkOf(link: string | null, base: string): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!match) continue;
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(match[2] ?? '');
    const relations = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (relations.includes('next')) return new URL(match[1] ?? '', base).toString();
  }
  return undefined;
}

const BODY_EXCERPT = 200;

/** One GET of a JSON page, timed out after `timeoutMs` (connect, headers and body together). */
export async function requestPage(url: string, validators: Validators, options: RequestOptions): Promise<PageResponse> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (validators.etag) headers['if-none-match'] = validators.etag;
  if (validators.lastModified) headers['if-modified-since'] = validators.lastModified;
  let text: string;
  let response: Response;
  try {
    response = await fetch(url, { headers, signal, redirect: 'follow' });
    text = await response.text();
  } catch (error) {
    if (timeout.aborted) throw new PollHttpError(url, 'poll-timeout', `no complete response within ${options.timeoutMs} ms`, true, { cause: error });
    if (options.signal?.aborted) throw error;
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    throw new PollHttpError(url, 'poll-network', `${error instanceof Error ? error.message : String(error)}${cause}`, true, { cause: error });
  }
  const status = response.status;
  if (status === 304) return { kind: 'not-modified' };
  if (status === 429 || status === 503) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
    throw new PollHttpError(url, 'poll-throttled', `${status} ${response.statusText}${retryAfterMs === undefined ? '' : ` (Retry-After ${retryAfterMs} ms)`}`, true, { status, retryAfterMs });
  }
  if (status >= 500) throw new PollHttpError(url, 'poll-server', `${status} ${response.statusText}: ${text.slice(0, BODY_EXCERPT)}`, true, { status });
  if (status < 200 || status >= 300) {
    throw new PollHttpError(url, 'poll-status', `${status} ${response.statusText}: ${text.slice(0, BODY_EXCERPT)} (not retried: fix the URL, headers or credentials)`, false, { status });
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new PollHttpError(url, 'poll-malformed', `the body is not JSON (${error instanceof Error ? error.message : String(error)}): ${JSON.stringify(text.slice(0, BODY_EXCERPT))}`, true, { status, cause: error });
  }
  const problem = options.check?.(body);
  if (problem) throw new PollHttpError(url, 'poll-malformed', problem, true, { status });
  return {
    kind: 'page',
    body,
    validators: { etag: response.headers.get('etag') ?? undefined, lastModified: response.headers.get('last-modified') ?? undefined },
    nextLink: nextLinkOf(response.headers.get('link'), response.url || url),
  };
}

export interface RetryPolicy {
  /** Attempts of one request before the poll fails (it is tried again at the next poll). */
  maxAttempts: number;
  /** Longest wait a Retry-After may impose, ms. */
  maxRetryAfterMs: number;
  backoff: { initialMs: number; maxMs: number };
}

/**
 * A page with retries: 429/503 wait their Retry-After (bounded), 5xx, timeouts, network
 * errors and malformed bodies back off; each retry is told to `onRetry` (a log line, a counter).
 * Throws the last error once the attempts are spent, and at once what is not retriable (a 404).
 */
export async function fetchPage(url: string, validators: Validators, options: RequestOptions & RetryPolicy & { clock: Clock; onRetry: (error: PollHttpError, waitMs: number) => void }): Promise<PageResponse> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await requestPage(url, validators, options);
    } catch (error) {
      if (!(error instanceof PollHttpError) || !error.retriable || attempt + 1 >= options.maxAttempts) throw error;
      const retryAfter = error.details.retryAfterMs;
      const waitMs = retryAfter !== undefined ? Math.min(retryAfter, options.maxRetryAfterMs) : backoffMs(attempt, options.backoff.initialMs, options.backoff.maxMs);
      options.onRetry(error, waitMs);
      await options.clock.sleep(waitMs, options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}
