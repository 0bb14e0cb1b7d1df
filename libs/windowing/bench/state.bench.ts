/**
 * Cost of persisting windowing state alongside processing, with the IoT pipeline's
 * configuration (1-minute tumbling and 5-minute/1-minute hopping, 12 aggregates).
 * Run: node --expose-gc -r @swc-node/register libs/windowing/bench/state.bench.ts
 *   (SWC_NODE_PROJECT=libs/windowing/tsconfig.bench.json), or npx nx run windowing:bench-state
 * Options (env): STATE_BENCH_EVENTS (default 1000000), STATE_BENCH_REPEATS (default 3),
 * STATE_BENCH_KEYS (comma-separated, default "100,100000"), STATE_BENCH_MODES
 * (comma-separated subset of "process,changes,snapshot"; default "process,changes"),
 * STATE_BENCH_EVERY (events between two state captures, default 5000), STATE_BENCH_ONLY
 * (substring of a window name: "tumbling" or "hopping"), STATE_BENCH_COSTS=0 (skip the one-off
 * full snapshot / full restore timings).
 */
import { collectGarbage, heapUsedBytes } from './heap';
import {
  avg,
  count,
  createWindowingEngine,
  decodeKeyState,
  decodePartitionClock,
  encodeKeyState,
  encodePartitionClock,
  hopping,
  type KeyState,
  max,
  min,
  trend,
  tumbling,
  type WindowSpec,
} from '../src/index';

interface Reading {
  readonly sensorId: string;
  readonly timestamp: number;
  readonly temperature: number;
  readonly humidity: number;
  readonly pressure: number;
  readonly batteryLevel: number;
}

const EVENTS = Number(process.env['STATE_BENCH_EVENTS'] ?? 1_000_000);
const REPEATS = Number(process.env['STATE_BENCH_REPEATS'] ?? 3);
const KEY_COUNTS = (process.env['STATE_BENCH_KEYS'] ?? '100,100000')
  .split(',')
  .map(Number);
const MODES = (process.env['STATE_BENCH_MODES'] ?? 'process,changes').split(
  ',',
);
const EVERY = Number(process.env['STATE_BENCH_EVERY'] ?? 5_000);
const ONLY = process.env['STATE_BENCH_ONLY'] ?? '';
const COSTS = process.env['STATE_BENCH_COSTS'] !== '0';
const BATCH = 500;
/**
 * Sensors report every 5 s of event time, or less often when that is needed for the stream
 * to span 10 minutes (so hopping windows reach their steady state); up to 1.5 s of disorder.
 */
const MIN_REPORT_INTERVAL_MS = 5_000;
const MIN_SPAN_MS = 10 * 60_000;
const START = Date.UTC(2024, 0, 1);

const specs: ReadonlyArray<[string, WindowSpec]> = [
  ['tumbling 1m', tumbling('1m').grace('10s')],
  ['hopping 5m/1m', hopping('5m', '1m').grace('10s')],
];

function createEngine(window: WindowSpec) {
  return createWindowingEngine({
    eventTime: (reading: Reading) => reading.timestamp,
    key: (reading) => reading.sensorId,
    window,
    watermark: { maxOutOfOrderness: '5s' },
    emit: 'final',
    aggregates: {
      readings: count(),
      avgTemperature: avg((reading: Reading) => reading.temperature),
      minTemperature: min((reading: Reading) => reading.temperature),
      maxTemperature: max((reading: Reading) => reading.temperature),
      avgHumidity: avg((reading: Reading) => reading.humidity),
      minHumidity: min((reading: Reading) => reading.humidity),
      maxHumidity: max((reading: Reading) => reading.humidity),
      avgPressure: avg((reading: Reading) => reading.pressure),
      minPressure: min((reading: Reading) => reading.pressure),
      maxPressure: max((reading: Reading) => reading.pressure),
      minBatteryLevel: min((reading: Reading) => reading.batteryLevel),
      temperatureTrend: trend((reading: Reading) => reading.temperature, {
        tolerance: 0.5,
      }),
    },
  });
}

type Engine = ReturnType<typeof createEngine>;

/** Deterministic PRNG (mulberry32) so every run sees the same stream. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function reportIntervalMs(keys: number, events: number): number {
  return Math.max(MIN_REPORT_INTERVAL_MS, (MIN_SPAN_MS * keys) / events);
}

function generateBatches(keys: number, events: number): Reading[][] {
  const next = random(7);
  const sensorIds = Array.from(
    { length: keys },
    (_unused, index) => `sensor-${index}`,
  );
  const eventsPerMs = keys / reportIntervalMs(keys, events);
  const batches: Reading[][] = [];
  let batch: Reading[] = [];
  for (let index = 0; index < events; index++) {
    batch.push({
      sensorId: sensorIds[Math.floor(next() * keys)],
      timestamp: START + Math.floor(index / eventsPerMs - next() * 1_500),
      temperature: 15 + next() * 10,
      humidity: 40 + next() * 20,
      pressure: 990 + next() * 20,
      batteryLevel: next(),
    });
    if (batch.length === BATCH) {
      batches.push(batch);
      batch = [];
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** Persists state the way the aggregator does after each commit interval. */
type Capture = (engine: Engine) => number;

const captures: Record<string, Capture | undefined> = {
  process: undefined,
  snapshot: (engine) => engine.snapshot(0).byteLength,
  changes: changesCapture,
};

/** takeChanges + binary encoding of the clock and of every changed key (per-key changelog). */
function changesCapture(engine: Engine): number {
  const identity = engine.stateIdentity();
  const changes = engine.takeChanges(0);
  // Pooled Buffers, as the window stages of libs/pipelines use.
  let bytes = encodePartitionClock(identity, changes.clock, Buffer.allocUnsafe)
    .byteLength;
  for (const change of changes.keys) {
    if (change.state !== null)
      bytes += encodeKeyState(identity, change.state, Buffer.allocUnsafe)
        .byteLength;
  }
  return bytes;
}

interface Measurement {
  readonly eventsPerSecond: number;
  readonly eventsPerCpuSecond: number;
  readonly bytesPerCapture: number;
  readonly openWindows: number;
  readonly heapBytesPerWindow: number;
}

function measure(
  spec: WindowSpec,
  batches: readonly Reading[][],
  capture: Capture | undefined,
): Measurement {
  const heapBefore = heapUsedBytes();
  const engine = createEngine(spec);
  let captured = 0;
  let captureCount = 0;
  let sinceCapture = 0;
  let events = 0;
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  for (const batch of batches) {
    engine.process(0, batch);
    events += batch.length;
    sinceCapture += batch.length;
    if (capture !== undefined && sinceCapture >= EVERY) {
      captured += capture(engine);
      captureCount += 1;
      sinceCapture = 0;
    }
  }
  const elapsedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const openWindows = engine.stats().partitions[0].openWindows;
  const heapBytes = heapUsedBytes() - heapBefore;
  return {
    eventsPerSecond: events / elapsedSeconds,
    eventsPerCpuSecond: events / ((cpu.user + cpu.system) / 1e6),
    bytesPerCapture: captureCount === 0 ? 0 : captured / captureCount,
    openWindows,
    heapBytesPerWindow: heapBytes / openWindows,
  };
}

function millisSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * One-off costs at the end of the stream: a full JSON snapshot and its restore (old model),
 * and a full restore from the per-key changelog (decode + restoreKeys) in the new one.
 */
function stateCosts(spec: WindowSpec, batches: readonly Reading[][]): string {
  const engine = createEngine(spec);
  for (const batch of batches) engine.process(0, batch);
  const windows = engine.stats().partitions[0].openWindows;
  let started = process.hrtime.bigint();
  const snapshot = engine.snapshot(0);
  const snapshotMs = millisSince(started);
  started = process.hrtime.bigint();
  createEngine(spec).restore(0, snapshot);
  const restoreMs = millisSince(started);
  let line = `${windows} windows: JSON snapshot ${(snapshot.byteLength / 1_048_576).toFixed(1)} MiB in ${snapshotMs.toFixed(0)} ms, restore ${restoreMs.toFixed(0)} ms`;
  if (typeof encodeKeyState !== 'function') return line;
  const identity = engine.stateIdentity();
  const changes = engine.takeChanges(0);
  const clock = encodePartitionClock(identity, changes.clock);
  const records: Uint8Array[] = [];
  let bytes = 0;
  for (const change of changes.keys) {
    if (change.state === null) continue;
    const record = encodeKeyState(identity, change.state, Buffer.allocUnsafe);
    records.push(record);
    bytes += record.byteLength;
  }
  collectGarbage();
  started = process.hrtime.bigint();
  function* decoded(): Generator<KeyState<string>> {
    for (const record of records) yield decodeKeyState<string>(identity, record);
  }
  createEngine(spec).restoreKeys(
    0,
    decodePartitionClock(identity, clock),
    decoded(),
  );
  const changelogMs = millisSince(started);
  line += `; changelog ${records.length} keys, ${(bytes / 1_048_576).toFixed(1)} MiB, decode + restoreKeys ${changelogMs.toFixed(0)} ms (${thousands((records.length / changelogMs) * 1000)} keys/s)`;
  return line;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)];
}

function thousands(value: number): string {
  return `${(value / 1e3).toFixed(0)}k`;
}

function main(): void {
  console.log(
    `state bench: IoT config (12 aggregates), ${EVENTS} events/run, batches of ${BATCH}, capture every ${EVERY} events, ${REPEATS} runs; node ${process.version}`,
  );
  for (const keys of KEY_COUNTS) {
    const batches = generateBatches(keys, EVENTS);
    console.log(
      `${keys} keys, each reporting every ${(reportIntervalMs(keys, EVENTS) / 1000).toFixed(0)} s of event time`,
    );
    for (const [name, spec] of specs.filter(([candidate]) =>
      candidate.includes(ONLY),
    )) {
      for (const mode of MODES) {
        if (!(mode in captures)) throw new Error(`unknown mode ${mode}`);
        const capture = captures[mode];
        measure(spec, batches, capture); // warm-up
        const runs = Array.from({ length: REPEATS }, () =>
          measure(spec, batches, capture),
        );
        const last = runs[runs.length - 1];
        console.log(
          `${name.padEnd(14)} ${String(keys).padStart(6)} keys  ${mode.padEnd(8)} ` +
            `${thousands(median(runs.map((run) => run.eventsPerSecond))).padStart(6)} events/s wall, ` +
            `${thousands(median(runs.map((run) => run.eventsPerCpuSecond))).padStart(6)} per CPU-s; ` +
            `${(last.bytesPerCapture / 1024).toFixed(0)} KiB per capture; ` +
            `${last.openWindows} open windows, ${median(runs.map((run) => run.heapBytesPerWindow)).toFixed(0)} heap bytes/window`,
        );
      }
      if (COSTS) console.log(`${''.padEnd(14)} ${stateCosts(spec, batches)}`);
    }
  }
}

main();
