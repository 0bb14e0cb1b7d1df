import { bodyFingerprint, IdempotencyConflictError, IdempotencyStore, type AnsweredKey } from './idempotency';

describe('IdempotencyStore', () => {
  const body = Buffer.from('{"a":1}');

  it('runs a key once and answers its retries with the same result, also while the first is in flight', async () => {
    const store = new IdempotencyStore<number>({ ttlMs: 60_000, maxKeys: 10 });
    let runs = 0;
    const work = async () => {
      runs += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return runs;
    };
    const [first, second] = await Promise.all([store.once('k', body, work), store.once('k', body, work)]);
    expect(first).toEqual({ result: 1, replayed: false });
    expect(second).toEqual({ result: 1, replayed: true });
    expect(await store.once('k', body, work)).toEqual({ result: 1, replayed: true });
    expect(runs).toBe(1);
  });

  it('refuses the same key with another body', async () => {
    const store = new IdempotencyStore<number>({ ttlMs: 60_000, maxKeys: 10 });
    await store.once('k', body, async () => 1);
    await expect(store.once('k', Buffer.from('{"a":2}'), async () => 2)).rejects.toThrow(IdempotencyConflictError);
  });

  it('forgets a failed attempt, so its retry runs', async () => {
    const store = new IdempotencyStore<number>({ ttlMs: 60_000, maxKeys: 10 });
    await expect(store.once('k', body, async () => Promise.reject(new Error('broker down')))).rejects.toThrow('broker down');
    expect(await store.once('k', body, async () => 2)).toEqual({ result: 2, replayed: false });
  });

  it('forgets keys after the TTL and beyond the bound, oldest first', async () => {
    let now = 0;
    const store = new IdempotencyStore<number>({ ttlMs: 1000, maxKeys: 2, now: () => now });
    await store.once('a', body, async () => 1);
    await store.once('b', body, async () => 2);
    await store.once('c', body, async () => 3);
    expect(store.size).toBe(2);
    expect(await store.once('a', body, async () => 4)).toEqual({ result: 4, replayed: false });
    now = 5000;
    expect(await store.once('c', body, async () => 5)).toEqual({ result: 5, replayed: false });
    expect(store.size).toBe(1);
  });

  it('tells each key\'s first successful answer once, and takes in answers given by an earlier process', async () => {
    let now = 1_000;
    const answered: AnsweredKey<number>[] = [];
    const store = new IdempotencyStore<number>({ ttlMs: 60_000, maxKeys: 2, now: () => now, onAnswered: (entry) => answered.push(entry) });
    await store.once('fresh', body, async () => 7);
    await store.once('fresh', body, async () => 8);
    await store.once('failed', body, async () => Promise.reject(new Error('broker down'))).catch(() => undefined);
    await Promise.resolve();
    expect(answered).toEqual([{ key: 'fresh', fingerprint: bodyFingerprint(body), expiresAt: 61_000, result: 7 }]);

    const restarted = new IdempotencyStore<number>({ ttlMs: 60_000, maxKeys: 2, now: () => now });
    now = 30_000;
    restarted.remember({ key: 'expired', fingerprint: bodyFingerprint(body), expiresAt: 29_000, result: 1 });
    for (const entry of answered) restarted.remember(entry);
    expect(restarted.size).toBe(1);
    expect(await restarted.once('fresh', body, async () => 9)).toEqual({ result: 7, replayed: true });
    await expect(restarted.once('fresh', Buffer.from('{"a":2}'), async () => 9)).rejects.toThrow(IdempotencyConflictError);
    // Its own answer wins over an older one taken in later; the bound holds (oldest forgotten first).
    restarted.remember({ key: 'fresh', fingerprint: 'other', expiresAt: 90_000, result: 0 });
    expect(await restarted.once('fresh', body, async () => 9)).toEqual({ result: 7, replayed: true });
    restarted.remember({ key: 'b', fingerprint: bodyFingerprint(body), expiresAt: 90_000, result: 2 });
    restarted.remember({ key: 'c', fingerprint: bodyFingerprint(body), expiresAt: 90_000, result: 3 });
    expect(restarted.size).toBe(2);
    expect(await restarted.once('fresh', body, async () => 9)).toEqual({ result: 9, replayed: false });
  });
});
