import { createHash } from 'node:crypto';

/** The same Idempotency-Key was sent again with a different body: refused, nothing published. */
export class IdempotencyConflictError extends Error {
  constructor(readonly key: string) {
    super(`Idempotency-Key "${key.slice(0, 100)}" was already used for a different body; use a new key for new content`);
    this.name = 'IdempotencyConflictError';
  }
}

export interface IdempotencyOptions<R = unknown> {
  ttlMs: number;
  maxKeys: number;
  now?: () => number;
  /** Told each key's first answer once it succeeded, e.g. to keep it beyond the process (WebhookDeliveries). */
  onAnswered?: (answered: AnsweredKey<R>) => void;
}

/** A key and the answer it got: what a restarted process needs to answer a retry the same way. */
export interface AnsweredKey<R> {
  key: string;
  fingerprint: string;
  expiresAt: number;
  result: R;
}

/** The fingerprint a body is remembered by (SHA-256, hex). */
export function bodyFingerprint(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

interface Entry<R> {
  fingerprint: string;
  expiresAt: number;
  result: Promise<R>;
}

/**
 * Remembers what each Idempotency-Key's request answered, so a retried delivery gets the
 * same answer and publishes nothing again. In memory: bounded (oldest keys forgotten first)
 * and with a TTL; a failed attempt is forgotten at once so its retry really runs. A retry
 * arriving while the first attempt is still in flight waits for it. `onAnswered` and
 * `remember` let the answers outlive the process (WebhookDeliveries keeps them in Kafka).
 */
export class IdempotencyStore<R> {
  private readonly entries = new Map<string, Entry<R>>();
  private readonly now: () => number;

  constructor(private readonly options: IdempotencyOptions<R>) {
    this.now = options.now ?? Date.now;
  }

  /** Runs `work` once per key (scoped by the caller, e.g. per client and domain); `replayed` tells whether this answer is a remembered one. */
  async once(key: string, body: Buffer, work: () => Promise<R>): Promise<{ result: R; replayed: boolean }> {
    const fingerprint = bodyFingerprint(body);
    const now = this.now();
    this.expire(now);
    const known = this.entries.get(key);
    if (known && known.expiresAt > now) {
      if (known.fingerprint !== fingerprint) throw new IdempotencyConflictError(key);
      return { result: await known.result, replayed: true };
    }
    const result = work();
    const entry = { fingerprint, expiresAt: now + this.options.ttlMs, result };
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.options.maxKeys) this.entries.delete(this.entries.keys().next().value as string);
    result.then(
      (answer) => this.options.onAnswered?.({ key, fingerprint, expiresAt: entry.expiresAt, result: answer }),
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return { result: await result, replayed: false };
  }

  /**
   * Takes in an answer given before (by an earlier run of the process), in the order they were given.
   * An expired one is ignored; a key answered in this process already keeps its own answer.
   */
  remember(answered: AnsweredKey<R>): void {
    const now = this.now();
    if (answered.expiresAt <= now || this.entries.has(answered.key)) return;
    this.entries.set(answered.key, { fingerprint: answered.fingerprint, expiresAt: answered.expiresAt, result: Promise.resolve(answered.result) });
    while (this.entries.size > this.options.maxKeys) this.entries.delete(this.entries.keys().next().value as string);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Entries are kept in insertion order with one TTL, so the expired ones are at the front. */
  private expire(now: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now) return;
      this.entries.delete(key);
    }
  }
}
