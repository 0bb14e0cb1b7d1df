/**
 * Containers started for this run are removed. A local stack is left running on
 * purpose: the next run starts in seconds, and `npm run stack:down` stops it.
 */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __containerStack?: { stop(): Promise<void> } }).__containerStack?.stop();
}
