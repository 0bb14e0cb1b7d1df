/** Benchmarks measure retained heap after full collections (node --expose-gc). */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined)
    throw new Error('run node with --expose-gc to measure heap');
  gc();
  gc();
}

export function heapUsedBytes(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}
