import {
  decodeKeyState,
  decodePartitionClock,
  encodeKeyState,
  encodePartitionClock,
  type GroupKey,
  type KeyState,
  type WindowingEngine,
} from '../index';

/**
 * What a compacted changelog topic holds for one partition: the latest encoded state of
 * every key (a null change deletes it) and the latest encoded clock.
 */
export class ChangelogModel<TKey extends GroupKey> {
  readonly keys = new Map<TKey, Uint8Array>();
  clock: Uint8Array | undefined;

  constructor(private readonly partition = 0) {}

  /** takeChanges, encoded, applied. Returns how many keys changed. */
  commit<TEvent, TValues>(engine: WindowingEngine<TEvent, TKey, TValues>): number {
    const identity = engine.stateIdentity();
    const changes = engine.takeChanges(this.partition);
    this.clock = encodePartitionClock(identity, changes.clock);
    for (const { key, state } of changes.keys) {
      if (state === null) this.keys.delete(key);
      else this.keys.set(key, encodeKeyState(identity, state));
    }
    return changes.keys.length;
  }

  /** Restores the partition into `engine`, decoding lazily, keys in an order given by `seed`. */
  restoreInto<TEvent, TValues>(
    engine: WindowingEngine<TEvent, TKey, TValues>,
    seed: number,
  ): void {
    const identity = engine.stateIdentity();
    const records = shuffled([...this.keys.values()], seed);
    function* decoded(): Generator<KeyState<TKey>> {
      for (const bytes of records) yield decodeKeyState<TKey>(identity, bytes);
    }
    engine.restoreKeys(
      this.partition,
      this.clock === undefined
        ? undefined
        : decodePartitionClock(identity, this.clock),
      decoded(),
    );
  }
}

/** Fisher–Yates with a small deterministic PRNG (mulberry32). */
export function shuffled<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
  for (let index = items.length - 1; index > 0; index--) {
    const other = Math.floor(next() * (index + 1));
    const item = items[index];
    items[index] = items[other];
    items[other] = item;
  }
  return items;
}

/**
 * The partition's whole state as the JSON snapshot shows it, with closed sessions sorted:
 * their order follows key insertion, which a restore does not keep (nor needs to).
 */
export function stateOf<TEvent, TKey extends GroupKey, TValues>(
  engine: WindowingEngine<TEvent, TKey, TValues>,
  partition = 0,
): unknown {
  const document: { closedSessions: Array<[GroupKey, number, number]> } =
    JSON.parse(new TextDecoder().decode(engine.snapshot(partition)));
  document.closedSessions.sort(
    (left, right) =>
      String(left[0]).localeCompare(String(right[0])) || left[1] - right[1],
  );
  return document;
}
