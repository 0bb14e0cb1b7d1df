import { backoffMs, classifyFailure, dependencyOf } from '@pipeline/streaming';
import { systemClock, type Clock } from '../publish/clock';

export interface RetryOptions {
  /** Longest a job waits for its dependencies in one stretch, ms, before it fails for good. Default: no limit. */
  deadlineMs?: number;
  /** Stops waiting: the last failure is thrown. */
  signal?: AbortSignal;
  /** Default 200 ms doubling up to 5 s (with jitter), so a dependency that returns is used within seconds. */
  backoff?: { initialMs: number; maxMs: number };
  /** Told before each wait: what the job waits for (`waiting for kafka: <reason>`) and for how long. */
  onWaiting?: (waitingFor: string, retryInMs: number) => void;
  clock?: Clock;
}

/** A run that kept failing only for outages becomes this once its deadline passes; not retried. */
export class DependencyDeadlineError extends Error {
  readonly retriable = false;
  readonly reasonClass = 'startup-deadline';
  constructor(
    readonly waitedMs: number,
    readonly waitingFor: string,
    cause: unknown,
  ) {
    super(`gave up after ${Math.round(waitedMs / 1000)} s ${waitingFor}`, { cause });
    this.name = 'DependencyDeadlineError';
  }
}

/** A run that lasted this long made progress: a failure after it starts a new stretch of waiting. */
const PROGRESS_MS = 30_000;

/**
 * Runs a (resumable) job until it ends, running it again with backoff whenever it fails for
 * an outage (the streaming error policy's `retriable`: broker or registry unreachable) and
 * rethrowing anything else at once (a bad file, a changed job). Each run resumes from the
 * job's committed position, so retrying never sends an input twice.
 */
export async function runRetrying<R>(run: () => Promise<R>, options: RetryOptions = {}): Promise<R> {
  const clock = options.clock ?? systemClock;
  const { initialMs, maxMs } = options.backoff ?? { initialMs: 200, maxMs: 5000 };
  let attempt = 0;
  let waitingSince: number | undefined;
  for (;;) {
    const startedAt = clock.now();
    try {
      return await run();
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.kind !== 'retriable' || options.signal?.aborted) throw error;
      const now = clock.now();
      if (now - startedAt >= PROGRESS_MS) [attempt, waitingSince] = [0, undefined];
      waitingSince ??= startedAt;
      const dependency = dependencyOf(error);
      const waitingFor = dependency === undefined ? `waiting: ${failure.reason}` : `waiting for ${dependency}: ${failure.reason}`;
      if (options.deadlineMs !== undefined && now - waitingSince >= options.deadlineMs) throw new DependencyDeadlineError(now - waitingSince, waitingFor, error);
      const retryInMs = backoffMs(attempt, initialMs, maxMs);
      attempt += 1;
      options.onWaiting?.(waitingFor, retryInMs);
      await clock.sleep(retryInMs, options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}
