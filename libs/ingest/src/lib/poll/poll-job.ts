import { pump } from '../publish/pump';
import { systemClock, type Clock } from '../publish/clock';
import type { IngestSummary, ProgressSnapshot } from '../publish/summary';
import { runJobSession, type JobOptions } from '../resume/resumable-run';
import type { EventTopic, EventValue, SourceItem } from '../source';
import { resolvePointer } from './json-pointer';
import { ItemMapping, POLL_TUNING_DEFAULTS, type PollApi, type PollTuning } from './poll-api';
import { fetchPage, PollHttpError } from './poll-http';
import { isPollPosition, PollState, type ResumePoint } from './poll-state';

/** A poll job. No declared disorder bound: each poll is its own pump run, and the bound would only hold within one. */
export interface PollJob<T extends EventValue> extends Omit<JobOptions, 'maxDisorderMs'>, Partial<PollTuning> {
  topic: EventTopic<T>;
  api: PollApi;
  /** Polls to run (each follows the pages to the last); default endless (until the signal aborts). */
  polls?: number;
  /** Default `poll:<url>`. */
  source?: string;
  /** Backoff of retried requests without Retry-After. Default 500 ms doubling to 10 s. */
  backoff?: { initialMs: number; maxMs: number };
  clock?: Clock;
}

/** Counts of one poll, for its log line. */
interface PollOutcome {
  pages: number;
  items: number;
  fresh: number;
  notModified: boolean;
  failure?: PollHttpError;
}

/** The job id a poll job gets unless given one: the URL and the topic. */
export function defaultPollJobId(url: string, topic: string): string {
  return `poll:${url}>${topic}`;
}

function withParam(url: string, name: string, value: string): string {
  const target = new URL(url);
  target.searchParams.set(name, value);
  return target.toString();
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * Polls a JSON API into the topic: every `intervalMs` it GETs the page where it stopped (with
 * If-None-Match / If-Modified-Since: an unchanged page is a 304 and sends nothing) and follows
 * the pages to the last; items are mapped onto the contract by JSON pointers, items already
 * seen (event id) are skipped, invalid ones dead-lettered. 429/503 wait their Retry-After,
 * 5xx, timeouts and malformed bodies back off; a poll whose attempts run out is logged and
 * counted and tried again at the next poll; other 4xx stop the job. Exactly once and
 * resumable: the next request, its validators and the recent ids are committed in the same
 * transactions as the records.
 */
export async function runPollJob<T extends EventValue>(job: PollJob<T>): Promise<IngestSummary> {
  const tuning: PollTuning = { ...POLL_TUNING_DEFAULTS, ...definedOnly(job) };
  const { api, topic } = job;
  const clock = job.clock ?? systemClock;
  const mapping = new ItemMapping(topic.contract, api);
  const source = job.source ?? `poll:${api.url}`;
  const polls = job.polls ?? Infinity;
  const spec = { ...job, pace: { kind: 'asap' } as const, source, endOfInput: false };
  const identity = {
    jobId: job.jobId ?? defaultPollJobId(api.url, topic.topic),
    definition: { kind: 'poll', topic: topic.topic, contract: topic.contract.name, url: api.url, items: api.items, eventId: api.eventId, fields: api.fields, pagination: api.pagination },
    input: {},
  };
  return runJobSession(spec, identity, async (session) => {
    const stored = session.start.state;
    const state = isPollPosition(stored) ? new PollState(stored, stored.seen, tuning.rememberIds) : new PollState({ next: api.url }, [], tuning.rememberIds);
    if (isPollPosition(stored)) job.log?.(`${source}: resuming at ${stored.next}${stored.etag ? ` (ETag ${stored.etag})` : ''}, ${stored.seen.length} ids remembered`);
    const totals = { read: 0, produced: 0, deadLettered: 0, heartbeatRounds: 0 };
    let position = session.start;
    let minEventTime: number | undefined;
    let maxEventTime: number | undefined;
    let failedPolls = 0;
    const startedAt = clock.now();
    let stopped = false;
    for (let poll = 1; poll <= polls; poll += 1) {
      if (poll > 1) await clock.sleep(tuning.intervalMs, job.signal);
      if (job.signal?.aborted) {
        stopped = true;
        break;
      }
      state.beginCycle();
      const writer = session.writer(position, (read) => ({ ...state.positionAt(read) }));
      const outcome: PollOutcome = { pages: 0, items: 0, fresh: 0, notModified: false };
      const onProgress = job.onProgress && ((snapshot: ProgressSnapshot) => job.onProgress?.({ ...snapshot, read: totals.read + snapshot.read, produced: totals.produced + snapshot.produced, deadLettered: totals.deadLettered + snapshot.deadLettered, heartbeatRounds: totals.heartbeatRounds + snapshot.heartbeatRounds, elapsedMs: clock.now() - startedAt }));
      const items = pollItems({ job, tuning, mapping, state, clock, source, outcome });
      const summary = await pump(items, session.sink, { ...spec, writer, deadLetterTopic: session.deadLetterTopic, onProgress });
      await writer.flush(false);
      position = writer.current;
      totals.read += summary.read;
      totals.produced += summary.produced;
      totals.deadLettered += summary.deadLettered;
      totals.heartbeatRounds += summary.heartbeatRounds;
      if (summary.minEventTime !== undefined) minEventTime = Math.min(minEventTime ?? summary.minEventTime, summary.minEventTime);
      if (summary.maxEventTime !== undefined) maxEventTime = Math.max(maxEventTime ?? summary.maxEventTime, summary.maxEventTime);
      const seenAgain = outcome.items - outcome.fresh;
      const what = outcome.notModified && outcome.pages === 0 ? 'not modified (304)' : `${outcome.pages} page(s), ${outcome.fresh} new item(s)${seenAgain > 0 ? `, ${seenAgain} already seen` : ''}${outcome.notModified ? ', then 304' : ''}`;
      if (outcome.failure) {
        failedPolls += 1;
        job.log?.(`${source}: poll ${poll} FAILED after ${outcome.pages} page(s) (${failedPolls} failed so far; tried again at the next poll): ${outcome.failure.message}`);
        if (!outcome.failure.retriable) throw outcome.failure;
      } else if (outcome.fresh > 0 || poll === 1) {
        job.log?.(`${source}: poll ${poll}: ${what}; next ${state.live.next}`);
      }
      if (summary.stopped) {
        stopped = true;
        break;
      }
    }
    const elapsedMs = clock.now() - startedAt;
    return {
      ...totals,
      source,
      topic: topic.topic,
      deadLetterTopic: session.deadLetterTopic,
      elapsedMs,
      minEventTime,
      maxEventTime,
      endOfInput: false,
      stopped,
      failedPolls,
      ratePerSecond: elapsedMs > 0 ? (totals.read * 1000) / elapsedMs : totals.read,
      reconciled: totals.read === totals.produced + totals.deadLettered,
    };
  });
}

function definedOnly(job: Partial<PollTuning>): Partial<PollTuning> {
  const keys: Array<keyof PollTuning> = ['intervalMs', 'timeoutMs', 'maxAttempts', 'maxRetryAfterMs', 'rememberIds'];
  return Object.fromEntries(keys.filter((key) => job[key] !== undefined).map((key) => [key, job[key]]));
}

interface CycleContext<T extends EventValue> {
  job: PollJob<T>;
  tuning: PollTuning;
  mapping: ItemMapping<T>;
  state: PollState;
  clock: Clock;
  source: string;
  outcome: PollOutcome;
}

/**
 * One poll: the pages from where the job stands to the last, as source items. A failure
 * ends the poll (not the pump): what was read is still sent and committed, the failure is
 * left in `outcome` for the job to log, count, and (when not retriable) stop on.
 */
async function* pollItems<T extends EventValue>(context: CycleContext<T>): AsyncGenerator<SourceItem<T>> {
  const { job, tuning, mapping, state, clock, source, outcome } = context;
  const { api } = job;
  for (;;) {
    const url = state.live.next;
    let page;
    try {
      page = await fetchPage(url, state.live, {
        headers: api.headers,
        timeoutMs: tuning.timeoutMs,
        signal: job.signal,
        maxAttempts: tuning.maxAttempts,
        maxRetryAfterMs: tuning.maxRetryAfterMs,
        backoff: job.backoff ?? { initialMs: 500, maxMs: 10_000 },
        clock,
        check: (body) => (Array.isArray(resolvePointer(body, api.items)) ? undefined : `no items array at ${JSON.stringify(api.items)}`),
        onRetry: (error, waitMs) => job.log?.(`${source}: ${error.message}; retrying in ${Math.round(waitMs)} ms`),
      });
    } catch (error) {
      if (job.signal?.aborted) return;
      if (!(error instanceof PollHttpError)) throw error;
      outcome.failure = error;
      return;
    }
    if (page.kind === 'not-modified') {
      outcome.notModified = true;
      return;
    }
    outcome.pages += 1;
    const rawItems = resolvePointer(page.body, api.items) as unknown[];
    const admitted = rawItems.map((item, index) => ({ item, index, id: mapping.idOf(item) })).filter(({ id }) => id === undefined || !state.seen.has(id));
    outcome.items += rawItems.length;
    outcome.fresh += admitted.length;
    const considered = admitted.map((entry) => ({ ...entry, admission: mapping.admit(entry.item) }));
    let maxEventTime = state.live.maxEventTime;
    for (const { admission } of considered) if (admission.accepted) maxEventTime = Math.max(maxEventTime ?? admission.value.timestamp, admission.value.timestamp);
    const next = nextRequest(api, page.body, page.nextLink, url, maxEventTime, admitted.length > 0);
    // Read to its end, the job resumes at the next page, or (the last page) at this one with its validators.
    const after: ResumePoint = next ? { next, maxEventTime } : { next: url, ...page.validators, maxEventTime };
    for (const [at, { item, index, id, admission }] of considered.entries()) {
      const position = `item ${index} of ${url}`;
      const resume = at === considered.length - 1 ? after : { next: url, maxEventTime: state.live.maxEventTime };
      state.handOver(id, resume);
      if (id === undefined) {
        yield { position, admit: () => ({ accepted: false, reason: `has no event id (string or number) at ${JSON.stringify(api.eventId)}`, raw: item }) };
        continue;
      }
      yield { position, eventTime: admission.accepted ? admission.value.timestamp : undefined, admit: () => admission };
    }
    state.live = after;
    if (!next) return;
  }
}

/** The request after a page, or undefined when it is the last one. */
function nextRequest(api: PollApi, body: unknown, nextLink: string | undefined, url: string, maxEventTime: number | undefined, progressed: boolean): string | undefined {
  const pagination = api.pagination;
  let next: string | undefined;
  if (pagination.kind === 'cursor') {
    const cursor = textOf(resolvePointer(body, pagination.cursor));
    next = cursor === undefined ? undefined : withParam(api.url, pagination.param, cursor);
  } else if (pagination.kind === 'link') {
    next = nextLink;
  } else if (progressed && maxEventTime !== undefined) {
    next = withParam(api.url, pagination.param, pagination.format === 'iso' ? new Date(maxEventTime).toISOString() : String(maxEventTime));
  }
  // A page pointing at itself would be polled in a loop.
  return next === url ? undefined : next;
}
