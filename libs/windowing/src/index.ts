export { createWindowingEngine } from './lib/engine';
export {
  tumbling,
  hopping,
  session,
  TimeWindows,
  SessionWindows,
  type WindowSpec,
} from './lib/window-spec';
export {
  count,
  sum,
  min,
  max,
  avg,
  stddev,
  first,
  last,
  trend,
  countDistinct,
  type Aggregate,
  type AggregateKind,
  type AggregateSpecs,
  type AggregateValues,
  type Accumulator,
  type AccumulatorSlots,
  type SlotOffsets,
  type FieldOf,
  type Trend,
  type TrendOptions,
} from './lib/aggregates';
export { toMillis, type Duration, type DurationUnit } from './lib/duration';
export {
  WindowingError,
  InvalidDurationError,
  InvalidConfigError,
  InvalidArgumentError,
  InvalidEventTimeError,
  SnapshotUnreadableError,
  SnapshotMismatchError,
  PartitionConflictError,
  type WindowingErrorCode,
  type ErrorContext,
} from './lib/errors';
export type { GroupKey, WindowingCounters } from './lib/partition-state';
export type { LateReason } from './lib/window-assigner';
export { SNAPSHOT_FORMAT, SNAPSHOT_VERSION } from './lib/snapshot';
export {
  encodeKeyState,
  decodeKeyState,
  encodePartitionClock,
  decodePartitionClock,
  stateIdentity,
  STATE_RECORD_VERSION,
  type StateIdentity,
  type RecordAllocator,
} from './lib/key-state-codec';
export type {
  PartitionId,
  WatermarkOptions,
  EmitMode,
  WindowingConfig,
  WindowResult,
  LateRecord,
  ProcessOutput,
  PartitionStats,
  WindowingStats,
  WindowingEngine,
  PartitionClock,
  PartitionChanges,
  KeyChange,
  KeyState,
  StoredKeyWindow,
  StoredClosedSession,
} from './lib/types';
