import { TopicNamespace, type ContractValue, type sensorReading } from '@pipeline/contracts';
import { SnapshotMismatchError, SnapshotUnreadableError } from '@pipeline/windowing';
import { clickstreamPipeline, iotPipeline } from '../index';
import type { WindowStageEngine } from './stages';

type Reading = ContractValue<typeof sensorReading>;

const reading = (sensorId: string, timestamp: number, temperature = 20): Reading => ({
  sensorId,
  timestamp,
  temperature,
  humidity: 50,
  pressure: 1000,
  location: { latitude: 1, longitude: 2 },
  batteryLevel: 0.8,
});

function stageEngine(index: number): WindowStageEngine<Reading> {
  const engine = iotPipeline.resolve(TopicNamespace.none).windows[index]?.createEngine();
  if (!engine) throw new Error(`no IoT window stage ${index}`);
  return engine;
}

/** A compacted changelog topic for one partition: the latest record per key, the latest clock. */
class Changelog {
  readonly keys = new Map<string, Uint8Array>();
  clock: Uint8Array | undefined;

  commit(engine: WindowStageEngine<Reading>, partition: number): void {
    const changes = engine.takeChanges(partition);
    this.clock = changes.clock;
    for (const { key, state } of changes.keys) {
      if (state === null) this.keys.delete(key);
      else this.keys.set(key, state);
    }
  }
}

describe('window stage state (per-key changelog)', () => {
  it('reports changed sensors as encoded states and closed-out sensors as null', () => {
    const engine = stageEngine(0);
    engine.process(2, [reading('s-1', 60_000), reading('s-2', 61_000)]);
    const first = engine.takeChanges(2);
    expect(first.clock).toBeInstanceOf(Uint8Array);
    expect(first.keys.map(({ key, state }) => [key, state instanceof Uint8Array])).toEqual([
      ['s-1', true],
      ['s-2', true],
    ]);
    engine.process(2, [reading('s-2', 62_000)]);
    expect(engine.takeChanges(2).keys.map(({ key }) => key)).toEqual(['s-2']);
    // Watermark 200 s − 5 s closes [60 s, 120 s) + 10 s grace of both sensors.
    engine.advance(2, 200_000);
    expect(engine.takeChanges(2).keys).toEqual([
      { key: 's-1', state: null },
      { key: 's-2', state: null },
    ]);
  });

  it('restored from its changelog in any order, emits what the original would have', () => {
    const events = [reading('s-1', 60_000, 20), reading('s-2', 61_000, 30), reading('s-3', 125_000, 10), reading('s-1', 70_000, 22), reading('s-2', 130_000, 31)];
    const original = stageEngine(1);
    const changelog = new Changelog();
    original.process(0, events.slice(0, 3));
    changelog.commit(original, 0);
    original.process(0, events.slice(3));
    changelog.commit(original, 0);
    const watermark = original.watermark(0);
    const expected = original.advance(0, 1_000_000).records;

    const restored = stageEngine(1);
    restored.restore(0, changelog.clock, [...changelog.keys.values()].reverse());
    expect(restored.watermark(0)).toBe(watermark);
    expect(restored.advance(0, 1_000_000).records).toEqual(expected);
    expect(expected.length).toBeGreaterThan(3);
  });

  it('restores a partition without a clock record from scratch', () => {
    const engine = stageEngine(0);
    engine.restore(1, undefined, []);
    expect(engine.watermark(1)).toBe(-Infinity);
    expect(engine.process(1, [reading('s-1', 1_000)]).late).toEqual([]);
  });

  it('refuses records of another stage layout or garbage', () => {
    const iot = stageEngine(0);
    iot.process(0, [reading('s-1', 60_000)]);
    const { clock, keys } = iot.takeChanges(0);
    const state = keys[0]?.state;
    if (!state) throw new Error('expected a state');
    const hopping = stageEngine(1);
    expect(() => hopping.restore(0, clock, [state])).toThrow(SnapshotMismatchError);
    const clicks = clickstreamPipeline.resolve(TopicNamespace.none).windows[0]?.createEngine();
    expect(() => clicks?.restore(0, undefined, [state])).toThrow(SnapshotMismatchError);
    expect(() => stageEngine(0).restore(0, clock, [new Uint8Array([1, 2, 3])])).toThrow(SnapshotUnreadableError);
  });
});
