import { session, tumbling } from '../index';
import {
  createTestEngine,
  reading,
  type TestResult,
} from '../testing/fixtures';

function summary(results: readonly TestResult[]) {
  return results.map(({ key, windowStart, final, values }) => ({
    key,
    windowStart,
    final,
    count: values.count,
  }));
}

describe('update emit mode', () => {
  it('emits the current value on change, at most once per key and window per throttle interval of event time', () => {
    const engine = createTestEngine(tumbling(100), {
      emit: { mode: 'update', throttle: 10 },
    });
    expect(summary(engine.process(0, [reading('a', 1)]).results)).toEqual([
      { key: 'a', windowStart: 0, final: false, count: 1 },
    ]);
    expect(
      engine.process(0, [reading('a', 5), reading('a', 8)]).results,
    ).toEqual([]);
    // Stream time reaches 1 + 10: the held-back change goes out, including this event.
    expect(summary(engine.process(0, [reading('a', 11)]).results)).toEqual([
      { key: 'a', windowStart: 0, final: false, count: 4 },
    ]);
    expect(engine.process(0, [reading('a', 12)]).results).toEqual([]);
  });

  it('throttles keys independently and lets any event of the partition advance the throttle clock', () => {
    const engine = createTestEngine(tumbling(100), {
      emit: { mode: 'update', throttle: 10 },
    });
    engine.process(0, [reading('a', 1), reading('a', 2)]);
    const { results } = engine.process(
      0,
      [reading('b', 3), reading('b', 11)],
    );
    expect(summary(results)).toEqual([
      { key: 'b', windowStart: 0, final: false, count: 1 },
      { key: 'a', windowStart: 0, final: false, count: 2 },
    ]);
  });

  it('emits nothing for a window without changes since its last update', () => {
    const engine = createTestEngine(tumbling(100), {
      emit: { mode: 'update', throttle: 10 },
    });
    engine.process(0, [reading('a', 1)]);
    expect(
      engine
        .process(0, [reading('b', 50)])
        .results.filter((result) => result.key === 'a'),
    ).toEqual([]);
  });

  it('replaces a pending update with the final result when the window closes', () => {
    const engine = createTestEngine(tumbling(10), {
      emit: { mode: 'update', throttle: 100 },
    });
    engine.process(0, [reading('a', 1), reading('a', 2)]);
    expect(summary(engine.process(0, [reading('b', 10)]).results)).toEqual([
      { key: 'a', windowStart: 0, final: true, count: 2 },
      { key: 'b', windowStart: 10, final: false, count: 1 },
    ]);
  });

  it('with a zero throttle emits after every change', () => {
    const engine = createTestEngine(tumbling(100), {
      emit: { mode: 'update', throttle: '0ms' },
    });
    const { results } = engine.process(
      0,
      [reading('a', 1), reading('a', 1), reading('a', 0)],
    );
    expect(results.map((result) => result.values.count)).toEqual([1, 2, 3]);
  });

  it('reports the current bounds of a growing session', () => {
    const engine = createTestEngine(session(10), {
      emit: { mode: 'update', throttle: 0 },
    });
    const { results } = engine.process(
      0,
      [reading('a', 0), reading('a', 5)],
    );
    expect(
      results.map(({ windowStart, windowEnd }) => [windowStart, windowEnd]),
    ).toEqual([
      [0, 10],
      [0, 15],
    ]);
  });
});
