import {
  collect,
  emptyRun,
  type Reading,
  type RunOutput,
  splitAt,
  type TestEngine,
} from './fixtures';

/** One process() call of a run. */
export interface Step {
  readonly partition: number;
  readonly events: readonly Reading[];
}

/**
 * When to take a checkpoint (before step i: every partition snapshotted with offset i) and
 * when to crash (after step j: outputs since the checkpoint are lost, a new engine restores
 * the checkpoint and replays from its offset). Each crash point fires once.
 */
export interface CrashPlan {
  readonly checkpointBefore: readonly number[];
  readonly crashAfter: readonly number[];
}

export const NO_CRASHES: CrashPlan = { checkpointBefore: [], crashAfter: [] };

interface Checkpoint {
  readonly step: number;
  readonly snapshots: ReadonlyMap<number, Uint8Array>;
  readonly results: number;
  readonly late: number;
}

/** What a service would have published: outputs up to each crash's checkpoint, then the replay. */
export function runSteps(
  createEngine: () => TestEngine,
  partitions: readonly number[],
  steps: readonly Step[],
  plan: CrashPlan = NO_CRASHES,
): RunOutput {
  const output = emptyRun();
  const checkpointSteps = new Set(plan.checkpointBefore);
  const pendingCrashes = new Set(plan.crashAfter);
  let engine = createEngine();
  let checkpoint = takeCheckpoint(engine, partitions, 0, output);
  for (let index = 0; index < steps.length;) {
    if (checkpointSteps.has(index)) {
      checkpoint = takeCheckpoint(engine, partitions, index, output);
    }
    const step = steps[index];
    collect(output, engine.process(step.partition, step.events));
    if (pendingCrashes.delete(index)) {
      output.results.length = checkpoint.results;
      output.late.length = checkpoint.late;
      engine = createEngine();
      for (const [partition, snapshot] of checkpoint.snapshots) {
        engine.restore(partition, snapshot);
      }
      index = checkpoint.step;
      continue;
    }
    index += 1;
  }
  return output;
}

/** A single-partition stream cut into batches at `cuts`. */
export function runBatches(
  createEngine: () => TestEngine,
  events: readonly Reading[],
  cuts: readonly number[] = [],
  plan: CrashPlan = NO_CRASHES,
): RunOutput {
  const steps = splitAt(events, cuts).map((batch) => ({
    partition: 0,
    events: batch,
  }));
  return runSteps(createEngine, [0], steps, plan);
}

function takeCheckpoint(
  engine: TestEngine,
  partitions: readonly number[],
  step: number,
  output: RunOutput,
): Checkpoint {
  const snapshots = new Map(
    partitions.map(
      (partition) => [partition, engine.snapshot(partition)] as const,
    ),
  );
  return {
    step,
    snapshots,
    results: output.results.length,
    late: output.late.length,
  };
}
