/**
 * Throughput and memory of the windowing engine on one partition (one core).
 * Run: npx nx run windowing:bench   (or: node --expose-gc -r @swc-node/register libs/windowing/bench/windowing.bench.ts)
 * Options (env): BENCH_EVENTS (default 2000000), BENCH_REPEATS (default 5), BENCH_BATCH (default 500),
 * BENCH_ONLY (substring of a scenario name, e.g. "tumbling").
 */
import { heapUsedBytes } from './heap';
import {
  avg,
  count,
  createWindowingEngine,
  hopping,
  max,
  session,
  tumbling,
  type WindowSpec,
} from '../src/index';

interface Reading {
  readonly deviceId: string;
  readonly timestamp: number;
  readonly temperature: number;
}

interface Scenario {
  readonly name: string;
  readonly window: WindowSpec;
  /** Event-time span of the generated stream; sessions need sparse keys to ever close. */
  readonly spanMs: number;
}

const KEYS = 10_000;
const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 2_000_000);
const REPEATS = Number(process.env['BENCH_REPEATS'] ?? 5);
const BATCH = Number(process.env['BENCH_BATCH'] ?? 500);
const MAX_OUT_OF_ORDERNESS_MS = 2_000;
const ONLY = process.env['BENCH_ONLY'] ?? '';
const START = Date.UTC(2024, 0, 1);

const scenarios: readonly Scenario[] = [
  {
    name: 'tumbling 1m',
    window: tumbling('1m').grace('5s'),
    spanMs: 10 * 60_000,
  },
  {
    name: 'hopping 5m/1m',
    window: hopping('5m', '1m').grace('5s'),
    spanMs: 10 * 60_000,
  },
  {
    name: 'session 30s gap',
    window: session('30s').grace('5s'),
    spanMs: 100 * 60_000,
  },
];

function createEngine(window: WindowSpec) {
  return createWindowingEngine({
    eventTime: (reading: Reading) => reading.timestamp,
    key: (reading) => reading.deviceId,
    window,
    watermark: { maxOutOfOrderness: MAX_OUT_OF_ORDERNESS_MS },
    aggregates: {
      count: count(),
      avgTemp: avg((reading: Reading) => reading.temperature),
      maxTemp: max((reading: Reading) => reading.temperature),
    },
  });
}

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

/** Time moves forward steadily with up to 1.5 s of disorder; keys are drawn uniformly. */
function generateBatches(spanMs: number): Reading[][] {
  const next = random(42);
  const deviceIds = Array.from(
    { length: KEYS },
    (_unused, index) => `device-${index}`,
  );
  const batches: Reading[][] = [];
  let batch: Reading[] = [];
  for (let index = 0; index < EVENTS; index++) {
    const timestamp =
      START + Math.floor((index / EVENTS) * spanMs - next() * 1_500);
    batch.push({
      deviceId: deviceIds[Math.floor(next() * KEYS)],
      timestamp,
      temperature: 15 + next() * 10,
    });
    if (batch.length === BATCH) {
      batches.push(batch);
      batch = [];
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

function heapUsedMiB(): number {
  return heapUsedBytes() / 1_048_576;
}

interface Measurement {
  readonly eventsPerSecond: number;
  /**
   * Per second of CPU time used by the process (main thread plus GC helper threads), which
   * other processes on the machine disturb far less than wall-clock time.
   */
  readonly eventsPerCpuSecond: number;
  readonly results: number;
  readonly late: number;
  readonly openWindows: number;
  /** Retained by the engine at the end (after GC): open windows and key index. */
  readonly stateMiB: number;
  /** Highest heap growth seen while running, garbage included. */
  readonly peakMiB: number;
}

function measure(
  scenario: Scenario,
  batches: readonly Reading[][],
): Measurement {
  const heapBefore = heapUsedMiB();
  const engine = createEngine(scenario.window);
  let results = 0;
  let late = 0;
  let peakHeap = 0;
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  for (let index = 0; index < batches.length; index++) {
    const output = engine.process(0, batches[index]);
    results += output.results.length;
    late += output.late.length;
    if (index % 256 === 0)
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }
  const elapsedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const stateMiB = heapUsedMiB() - heapBefore;
  const [partition] = engine.stats().partitions;
  const peakMiB = peakHeap / 1_048_576 - heapBefore;
  return {
    eventsPerSecond: EVENTS / elapsedSeconds,
    eventsPerCpuSecond: EVENTS / cpuSeconds,
    results,
    late,
    openWindows: partition.openWindows,
    stateMiB,
    peakMiB,
  };
}

function snapshotCost(
  scenario: Scenario,
  batches: readonly Reading[][],
): string {
  const engine = createEngine(scenario.window);
  for (const batch of batches) engine.process(0, batch);
  const started = process.hrtime.bigint();
  const bytes = engine.snapshot(0);
  const encodedMs = Number(process.hrtime.bigint() - started) / 1e6;
  const restoring = process.hrtime.bigint();
  createEngine(scenario.window).restore(0, bytes);
  const restoredMs = Number(process.hrtime.bigint() - restoring) / 1e6;
  const windows = engine.stats().partitions[0].openWindows;
  return `${windows} open windows -> ${(bytes.byteLength / 1024).toFixed(0)} KiB, snapshot ${encodedMs.toFixed(1)} ms, restore ${restoredMs.toFixed(1)} ms`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)];
}

function millions(value: number): string {
  return `${(value / 1e6).toFixed(2)}M`;
}

function main(): void {
  console.log(
    `windowing bench: ${EVENTS} events/run, ${KEYS} keys, 3 aggregates (count, avg, max), batches of ${BATCH}, ${REPEATS} runs per scenario`,
  );
  console.log(
    `node ${process.version}, ${process.arch}; one partition, single-threaded engine\n`,
  );
  for (const scenario of scenarios.filter((candidate) =>
    candidate.name.includes(ONLY),
  )) {
    const batches = generateBatches(scenario.spanMs);
    measure(scenario, batches); // warm-up: let the JIT settle before timing
    const runs = Array.from({ length: REPEATS }, () =>
      measure(scenario, batches),
    );
    const rates = runs.map((run) => run.eventsPerSecond);
    const cpuRates = runs.map((run) => run.eventsPerCpuSecond);
    const last = runs[runs.length - 1];
    console.log(
      `${scenario.name.padEnd(16)} median ${millions(median(rates))} events/s wall ` +
        `(min ${millions(Math.min(...rates))}, max ${millions(Math.max(...rates))}), ` +
        `median ${millions(median(cpuRates))} events per CPU-second`,
    );
    console.log(
      `${''.padEnd(16)} results ${last.results}, late ${last.late}, open windows at end ${last.openWindows}, ` +
        `heap retained ${median(runs.map((run) => run.stateMiB)).toFixed(1)} MiB, peak growth ${median(runs.map((run) => run.peakMiB)).toFixed(1)} MiB`,
    );
    console.log(`${''.padEnd(16)} ${snapshotCost(scenario, batches)}`);
  }
}

main();
