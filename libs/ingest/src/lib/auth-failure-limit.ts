/** How many failed authentications a client address may make, and how many addresses are tracked. */
export interface AuthFailureLimitOptions {
  /** Failures allowed per address within a window; the next request of the address is refused until the window ends. */
  maxFailures: number;
  windowMs: number;
  /** Addresses tracked at most (memory stays bounded under many addresses); the oldest window is forgotten first. */
  maxAddresses: number;
}

interface FailureWindow {
  startedAt: number;
  failures: number;
}

/**
 * Locks out credential guessing: once an address has failed to authenticate `maxFailures` times in a
 * fixed window, its requests are refused, valid credentials or not, until the window ends (checking
 * them would let the guessing go on). Pure: the caller passes the time.
 */
export class AuthFailureLimit {
  // Insertion order is window start order: a new window re-inserts its address at the end.
  private readonly windows = new Map<string, FailureWindow>();

  constructor(private readonly options: AuthFailureLimitOptions) {}

  /** Milliseconds until `address` may try again; 0 when it may now. */
  lockedFor(address: string, now: number): number {
    const window = this.current(address, now);
    if (window === undefined || window.failures < this.options.maxFailures) return 0;
    return window.startedAt + this.options.windowMs - now;
  }

  /** Counts a failure; true when it is the one that locks the address out. */
  recordFailure(address: string, now: number): boolean {
    let window = this.current(address, now);
    if (window === undefined) {
      window = { startedAt: now, failures: 0 };
      this.windows.delete(address);
      this.windows.set(address, window);
      this.forgetOldest(now);
    }
    window.failures += 1;
    return window.failures === this.options.maxFailures;
  }

  /** Addresses tracked now (for tests and the bound). */
  get trackedAddresses(): number {
    return this.windows.size;
  }

  private current(address: string, now: number): FailureWindow | undefined {
    const window = this.windows.get(address);
    return window !== undefined && now < window.startedAt + this.options.windowMs ? window : undefined;
  }

  /** Drops ended windows from the oldest on, and the oldest open ones past maxAddresses. */
  private forgetOldest(now: number): void {
    for (const [address, window] of this.windows) {
      const ended = now >= window.startedAt + this.options.windowMs;
      if (!ended && this.windows.size <= this.options.maxAddresses) return;
      this.windows.delete(address);
    }
  }
}
