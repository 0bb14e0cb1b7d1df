/**
 * Items ordered by the watermark at which they fall due (window close, tombstone expiry),
 * ties in insertion order, which makes the close order — and so the output order —
 * deterministic. A binary min-heap over parallel arrays: no allocation per entry, and
 * O(log n) whether due times are shared (time windows) or all distinct (sessions).
 */
export class DueSchedule<TItem> {
  private readonly dueTimes: number[] = [];
  private readonly sequence: number[] = [];
  private readonly items: TItem[] = [];
  private inserted = 0;

  get size(): number {
    return this.items.length;
  }

  /** Earliest due time, +∞ when nothing is scheduled. */
  get nextDueAt(): number {
    return this.items.length === 0 ? Infinity : this.dueTimes[0];
  }

  /** Entries added so far; the next one gets this + 1 as its sequence number. */
  get lastSequence(): number {
    return this.inserted;
  }

  /** Returns the entry's sequence number, which orders it among entries with the same due time. */
  add(dueAt: number, item: TItem): number {
    this.inserted += 1;
    this.dueTimes.push(dueAt);
    this.sequence.push(this.inserted);
    this.items.push(item);
    this.siftUp(this.items.length - 1);
    return this.inserted;
  }

  /**
   * Files an entry again under a sequence number it already had (a pane moving on to its
   * next window keeps its place among entries due at the same time); numbers no new entry.
   */
  addWithSequence(dueAt: number, sequence: number, item: TItem): void {
    this.addUnordered(dueAt, sequence, item);
    this.siftUp(this.items.length - 1);
  }

  /**
   * Restore: adds an entry with the sequence number it had in the schedule it comes from,
   * in any order, without restoring heap order; call `heapify` once all are in.
   */
  addUnordered(dueAt: number, sequence: number, item: TItem): void {
    this.dueTimes.push(dueAt);
    this.sequence.push(sequence);
    this.items.push(item);
    if (sequence > this.inserted) this.inserted = sequence;
  }

  /**
   * Restores heap order after `addUnordered` (O(n)), and makes later entries number on
   * from `lastSequence` at least, as the schedule they came from would.
   */
  heapify(lastSequence: number): void {
    if (lastSequence > this.inserted) this.inserted = lastSequence;
    for (let index = (this.items.length >> 1) - 1; index >= 0; index--) {
      this.siftDown(index);
    }
  }

  /** Removes and returns the earliest item if it is due at `watermark`. */
  takeDue(watermark: number): TItem | undefined {
    if (this.items.length === 0 || this.dueTimes[0] > watermark)
      return undefined;
    const item = this.items[0];
    const last = this.items.length - 1;
    this.move(last, 0);
    this.dueTimes.pop();
    this.sequence.pop();
    this.items.pop();
    if (last > 0) this.siftDown(0);
    return item;
  }

  /**
   * Every scheduled item in the order of its sequence number: filed again in this order, the
   * items keep their order among each other at every due time, also entries that move on later
   * under their own number (addWithSequence).
   */
  entriesBySequence(): TItem[] {
    return this.items
      .map((_item, index) => index)
      .sort((left, right) => this.sequence[left] - this.sequence[right])
      .map((index) => this.items[index]);
  }

  private compare(left: number, right: number): number {
    return (
      this.dueTimes[left] - this.dueTimes[right] ||
      this.sequence[left] - this.sequence[right]
    );
  }

  private siftUp(index: number): void {
    let position = index;
    while (position > 0) {
      const parent = (position - 1) >> 1;
      if (this.compare(parent, position) <= 0) return;
      this.swap(parent, position);
      position = parent;
    }
  }

  private siftDown(index: number): void {
    const length = this.items.length;
    let position = index;
    for (;;) {
      const left = position * 2 + 1;
      if (left >= length) return;
      const right = left + 1;
      const smaller =
        right < length && this.compare(right, left) < 0 ? right : left;
      if (this.compare(position, smaller) <= 0) return;
      this.swap(position, smaller);
      position = smaller;
    }
  }

  private swap(left: number, right: number): void {
    const dueAt = this.dueTimes[left];
    const sequence = this.sequence[left];
    const item = this.items[left];
    this.move(right, left);
    this.dueTimes[right] = dueAt;
    this.sequence[right] = sequence;
    this.items[right] = item;
  }

  private move(from: number, to: number): void {
    this.dueTimes[to] = this.dueTimes[from];
    this.sequence[to] = this.sequence[from];
    this.items[to] = this.items[from];
  }
}
