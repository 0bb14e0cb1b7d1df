/**
 * Polls `probe` until `accept` holds for what it returns, or fails after `timeoutMs` with what it
 * saw last (and the last error the probe threw). The fault tests wait for conditions this way,
 * never for a fixed time.
 */
export async function waitFor<T>(
  describe: string,
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  options: { timeoutMs: number; intervalMs?: number; show?: (value: T) => string; context?: () => string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let last: { value: T } | undefined;
  let lastError: string | undefined;
  for (;;) {
    try {
      const value = await probe();
      last = { value };
      if (accept(value)) return value;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) break;
    await sleep(options.intervalMs ?? 500);
  }
  const seen = last === undefined ? 'nothing' : options.show ? options.show(last.value) : JSON.stringify(last.value);
  const context = options.context ? `\n${options.context()}` : '';
  throw new Error(`${describe}: not reached after ${options.timeoutMs} ms; last seen: ${seen}${lastError ? `; last error: ${lastError}` : ''}${context}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `work`; if it fails, the error says `context()` too (e.g. the tail of a service's log). */
export async function withContext<T>(work: Promise<T>, context: () => string): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${context()}`);
  }
}
