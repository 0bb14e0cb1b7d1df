/**
 * Items grouped by the watermark at which they fall due (window close, tombstone expiry).
 * Many windows share a due time (all keys' windows end together), so a min-heap holds
 * only the distinct due times and each bucket keeps its items in insertion order, which
 * makes the close order — and therefore the output order — deterministic.
 */
export class DueSchedule<TItem> {
  private readonly buckets = new Map<number, TItem[]>();
  private readonly dueTimes: number[] = [];

  /** Earliest due time, +∞ when nothing is scheduled. */
  get nextDueAt(): number {
    return this.dueTimes.length === 0 ? Infinity : this.dueTimes[0];
  }

  add(dueAt: number, item: TItem): void {
    const bucket = this.buckets.get(dueAt);
    if (bucket !== undefined) {
      bucket.push(item);
      return;
    }
    this.buckets.set(dueAt, [item]);
    this.pushDueTime(dueAt);
  }

  /** Removes and returns the bucket at nextDueAt (items added to it later start a new bucket). */
  takeNextBucket(): TItem[] {
    const dueAt = this.popDueTime();
    const bucket = this.buckets.get(dueAt) ?? [];
    this.buckets.delete(dueAt);
    return bucket;
  }

  /** Every scheduled entry in due order; stale entries included, callers filter. */
  *entries(): IterableIterator<[dueAt: number, item: TItem]> {
    const dueTimes = [...this.buckets.keys()].sort((left, right) => left - right);
    for (const dueAt of dueTimes) {
      for (const item of this.buckets.get(dueAt) ?? []) {
        yield [dueAt, item];
      }
    }
  }

  private pushDueTime(dueAt: number): void {
    const heap = this.dueTimes;
    let index = heap.length;
    heap.push(dueAt);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (heap[parent] <= dueAt) break;
      heap[index] = heap[parent];
      index = parent;
    }
    heap[index] = dueAt;
  }

  private popDueTime(): number {
    const heap = this.dueTimes;
    const top = heap[0];
    const tail = heap.pop();
    if (tail === undefined || heap.length === 0) {
      return top;
    }
    let index = 0;
    for (;;) {
      const left = index * 2 + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const smaller = right < heap.length && heap[right] < heap[left] ? right : left;
      if (heap[smaller] >= tail) break;
      heap[index] = heap[smaller];
      index = smaller;
    }
    heap[index] = tail;
    return top;
  }
}
