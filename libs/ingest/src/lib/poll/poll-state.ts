import type { Validators } from './poll-http';

/** Where the next poll starts: the request to send and, for a page read to its end, its validators. */
export interface ResumePoint extends Validators {
  next: string;
  /** Highest event time received (the since-timestamp of `since` pagination). */
  maxEventTime?: number;
}

/** What a poll job commits with its records (JobPosition.state). */
export interface PollPosition extends ResumePoint {
  /** The most recently received event ids, oldest first (bounded). */
  seen: string[];
}

/** Insertion-ordered ids, the oldest forgotten beyond `limit`. */
export class RecentIds {
  private readonly ids = new Set<string>();
  constructor(
    private readonly limit: number,
    initial: readonly string[] = [],
  ) {
    for (const id of initial) this.add(id);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    this.ids.delete(id);
    this.ids.add(id);
    if (this.ids.size > this.limit) {
      const oldest = this.ids.values().next();
      if (!oldest.done) this.ids.delete(oldest.value);
    }
  }

  toArray(): string[] {
    return Array.from(this.ids);
  }
}

/** One input handed to the pump: its id (if any) and where the job resumes once it is committed. */
interface Checkpoint {
  id: string | undefined;
  resume: ResumePoint;
}

export function isPollPosition(state: Record<string, unknown> | undefined): state is Record<string, unknown> & PollPosition {
  return typeof state?.['next'] === 'string' && Array.isArray(state['seen']);
}

/**
 * A poll job's two states: the live one (what the source has read: the next request, every id
 * received) and the committed one, advanced only as the pump's writes reach the inputs, so the
 * position stored with a transaction is exactly where its records end.
 */
export class PollState {
  live: ResumePoint;
  readonly seen: RecentIds;
  private committed: ResumePoint;
  private readonly committedIds: RecentIds;
  private checkpoints: Checkpoint[] = [];
  /** Inputs of the current cycle whose checkpoints were dropped (committed). */
  private folded = 0;

  constructor(start: ResumePoint, seen: readonly string[], rememberIds: number) {
    this.live = { ...start };
    this.committed = { ...start };
    this.seen = new RecentIds(rememberIds, seen);
    this.committedIds = new RecentIds(rememberIds, seen);
  }

  /** A new pump (cycle): its inputs count from 1 again. */
  beginCycle(): void {
    this.checkpoints = [];
    this.folded = 0;
  }

  /** The source hands over an input: resume at `resume` once it is committed. */
  handOver(id: string | undefined, resume: ResumePoint): void {
    if (id !== undefined) this.seen.add(id);
    this.checkpoints.push({ id, resume });
  }

  /** The position after the cycle's first `read` inputs (the TransactionalWriter's stateAt). */
  positionAt(read: number): PollPosition {
    const take = Math.max(0, read - this.folded);
    for (const checkpoint of this.checkpoints.slice(0, take)) {
      if (checkpoint.id !== undefined) this.committedIds.add(checkpoint.id);
      this.committed = checkpoint.resume;
    }
    this.checkpoints = this.checkpoints.slice(take);
    this.folded += take;
    return { ...this.committed, seen: this.committedIds.toArray() };
  }
}
