import { countDistinct, count, createWindowingEngine, session, tumbling } from '../index';

interface Click {
  session: string;
  at: number;
}

const engineFor = () =>
  createWindowingEngine({
    eventTime: (click: Click) => click.at,
    key: () => 'all',
    window: tumbling('1m').grace('10s'),
    aggregates: { clicks: count(), sessions: countDistinct((click: Click) => click.session) },
    watermark: { maxOutOfOrderness: '5s' },
  });

describe('countDistinct', () => {
  it('counts each distinct value once per window', () => {
    const engine = engineFor();
    engine.process(0, [{ session: 'a', at: 0 }, { session: 'b', at: 1000 }, { session: 'a', at: 2000 }, { session: '__proto__', at: 3000 }]);
    const { results } = engine.advanceEventTime(0, 60_000 + 15_000);
    expect(results.map((result) => result.values)).toEqual([{ clicks: 4, sessions: 3 }]);
  });

  it('survives a snapshot and restore mid-window', () => {
    const engine = engineFor();
    engine.process(0, [{ session: 'a', at: 0 }, { session: 'b', at: 1000 }]);
    const restored = engineFor();
    restored.restore(0, engine.snapshot(0));
    restored.process(0, [{ session: 'a', at: 2000 }, { session: 'c', at: 3000 }]);
    const { results } = restored.advanceEventTime(0, 75_000);
    expect(results[0]?.values).toEqual({ clicks: 4, sessions: 3 });
  });

  it('merges distinct sets when sessions merge', () => {
    const engine = createWindowingEngine({
      eventTime: (click: Click) => click.at,
      key: () => 'all',
      window: session('10s'),
      aggregates: { sessions: countDistinct((click: Click) => click.session) },
      watermark: { maxOutOfOrderness: '30s' },
    });
    engine.process(0, [{ session: 'a', at: 0 }, { session: 'b', at: 15_000 }, { session: 'a', at: 8_000 }]);
    const { results } = engine.advanceEventTime(0, 100_000);
    expect(results.map((result) => [result.windowStart, result.windowEnd, result.values.sessions])).toEqual([[0, 25_000, 2]]);
  });
});

describe('advanceEventTime (watermark heartbeats)', () => {
  it('closes windows that are due without adding anything to them', () => {
    const engine = engineFor();
    engine.process(0, [{ session: 'a', at: 1000 }]);
    expect(engine.advanceEventTime(0, 60_000 + 14_999).results).toEqual([]);
    const { results } = engine.advanceEventTime(0, 60_000 + 15_000);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ windowStart: 0, windowEnd: 60_000, final: true, values: { clicks: 1, sessions: 1 } });
  });

  it('never moves the clock backwards, and makes later events for closed windows late', () => {
    const engine = engineFor();
    engine.advanceEventTime(0, 200_000);
    engine.advanceEventTime(0, 100_000);
    expect(engine.watermark(0)).toBe(195_000);
    const { late, results } = engine.process(0, [{ session: 'a', at: 120_000 }]);
    expect(results).toEqual([]);
    expect(late).toHaveLength(1);
  });

  it('is part of the snapshot (a restored partition keeps its clock)', () => {
    const engine = engineFor();
    engine.advanceEventTime(3, 500_000);
    const restored = engineFor();
    restored.restore(3, engine.snapshot(3));
    expect(restored.watermark(3)).toBe(495_000);
  });

  it('rejects a non-finite event time', () => {
    expect(() => engineFor().advanceEventTime(0, Number.POSITIVE_INFINITY)).toThrow(/finite/);
  });
});
