import fc from 'fast-check';
import type { WindowSpec } from '../index';
import {
  hoppingSpec,
  maxOutOfOrderness,
  readingStream,
  sessionSpec,
  tumblingSpec,
} from '../testing/arbitraries';
import { ChangelogModel, stateOf } from '../testing/changelog';
import {
  collect,
  createTestEngine,
  emptyRun,
  type EngineOptions,
  type Reading,
  type RunOutput,
  type TestEngine,
} from '../testing/fixtures';

// 200 by default; raise for a soak run, e.g. PROPERTY_RUNS=20000 npx nx test windowing
const RUNS = { numRuns: Number(process.env['PROPERTY_RUNS'] ?? 200) };

/**
 * What the aggregator does between batches: feed events, feed a watermark heartbeat,
 * commit (takeChanges into the changelog), or commit and hand the partition to a fresh
 * engine restored from the changelog (a rebalance or restart right after a commit).
 */
type Operation =
  | { readonly kind: 'batch'; readonly size: number }
  | { readonly kind: 'heartbeat'; readonly ahead: number }
  | { readonly kind: 'commit' }
  | { readonly kind: 'restart'; readonly seed: number };

const operations: fc.Arbitrary<Operation[]> = fc.array(
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('batch' as const),
        size: fc.integer({ min: 1, max: 12 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('heartbeat' as const),
        ahead: fc.integer({ min: -10, max: 60 }),
      }),
    },
    { weight: 2, arbitrary: fc.constant({ kind: 'commit' as const }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('restart' as const),
        seed: fc.nat(),
      }),
    },
  ),
  { maxLength: 40 },
);

const options: fc.Arbitrary<EngineOptions> = fc.record({
  watermark: fc.record({ maxOutOfOrderness }),
  emit: fc.oneof(
    fc.constant('final' as const),
    fc
      .nat({ max: 30 })
      .map((throttle) => ({ mode: 'update' as const, throttle })),
  ),
});

/**
 * Runs the operations; with `restarts`, commits go to a changelog and restarts replace
 * the engine, otherwise one engine sees only the batches and heartbeats.
 */
function run(
  createEngine: () => TestEngine,
  events: readonly Reading[],
  plan: readonly Operation[],
  restarts: boolean,
): RunOutput {
  const output = emptyRun();
  const changelog = new ChangelogModel<string>();
  let engine = createEngine();
  let position = 0;
  let lastTime = 1_000;
  const feed = (batch: readonly Reading[]): void => {
    collect(output, engine.process(0, batch));
    position += batch.length;
    for (const event of batch) lastTime = event.time;
  };
  for (const operation of plan) {
    switch (operation.kind) {
      case 'batch':
        feed(events.slice(position, position + operation.size));
        break;
      case 'heartbeat':
        collect(
          output,
          engine.advanceEventTime(0, lastTime + operation.ahead),
        );
        break;
      case 'commit':
      case 'restart': {
        if (!restarts) break;
        changelog.commit(engine);
        const restored = createEngine();
        changelog.restoreInto(restored, operation.kind === 'restart' ? operation.seed : 0);
        // The changelog holds exactly the engine's state: windows, schedule order, throttle queue, clock.
        expect(stateOf(restored)).toEqual(stateOf(engine));
        expect(restored.takeChanges(0).keys).toEqual([]);
        if (operation.kind === 'restart') engine = restored;
        break;
      }
    }
  }
  feed(events.slice(position));
  return output;
}

function changelogMatchesUninterrupted(windows: fc.Arbitrary<WindowSpec>): void {
  fc.assert(
    fc.property(
      readingStream({ keys: ['a', 'b', 'c', 'd', 'e'] }),
      windows,
      options,
      operations,
      (events, spec, engineOptions, plan) => {
        const createEngine = (): TestEngine =>
          createTestEngine(spec, engineOptions);
        const uninterrupted = run(createEngine, events, plan, false);
        expect(run(createEngine, events, plan, true)).toEqual(uninterrupted);
      },
    ),
    RUNS,
  );
}

describe('per-key changelog: engines restored from takeChanges records at random points give the uninterrupted output', () => {
  it('tumbling windows', () => changelogMatchesUninterrupted(tumblingSpec));
  it('hopping windows', () => changelogMatchesUninterrupted(hoppingSpec));
  it('session windows', () => changelogMatchesUninterrupted(sessionSpec));
});
