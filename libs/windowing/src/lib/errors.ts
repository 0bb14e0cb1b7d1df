/** Structured details attached to every windowing error, safe to log as-is. */
export type ErrorContext = Readonly<Record<string, unknown>>;

export type WindowingErrorCode =
  | 'INVALID_DURATION'
  | 'INVALID_CONFIG'
  | 'INVALID_ARGUMENT'
  | 'INVALID_EVENT_TIME'
  | 'SNAPSHOT_UNREADABLE'
  | 'SNAPSHOT_MISMATCH'
  | 'PARTITION_CONFLICT';

/** Base class: callers can branch on `code` and log `context` without parsing messages. */
export abstract class WindowingError extends Error {
  abstract readonly code: WindowingErrorCode;

  constructor(
    message: string,
    readonly context: ErrorContext,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A duration string or number could not be turned into milliseconds. */
export class InvalidDurationError extends WindowingError {
  readonly code = 'INVALID_DURATION';
}

/** The pipeline definition (window spec, aggregates, watermark, emit mode) is inconsistent. */
export class InvalidConfigError extends WindowingError {
  readonly code = 'INVALID_CONFIG';
}

/** A call argument (partition id, processing time) is out of range. */
export class InvalidArgumentError extends WindowingError {
  readonly code = 'INVALID_ARGUMENT';
}

/**
 * An event's time is not a finite number. Thrown before the batch mutates any state,
 * so the caller can divert the offending event (context.index) and retry the rest.
 */
export class InvalidEventTimeError extends WindowingError {
  readonly code = 'INVALID_EVENT_TIME';
}

/** Snapshot bytes are not a windowing snapshot this version can decode. */
export class SnapshotUnreadableError extends WindowingError {
  readonly code = 'SNAPSHOT_UNREADABLE';
}

/** Snapshot was taken for another partition or another pipeline definition. */
export class SnapshotMismatchError extends WindowingError {
  readonly code = 'SNAPSHOT_MISMATCH';
}

/** Restoring would overwrite state that the engine already holds for the partition. */
export class PartitionConflictError extends WindowingError {
  readonly code = 'PARTITION_CONFLICT';
}
