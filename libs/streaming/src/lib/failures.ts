/**
 * The one error policy of the streaming runtime. Every failure of a batch is classified
 * once, here, into what the runtime does about it:
 *
 * - `retriable`: an outage (broker, registry or database unreachable, timeouts, deadlocks,
 *   serialization failures). The batch is retried with backoff; nothing is dead-lettered.
 * - `record`: one record can never be processed (undecodable bytes, a contract violation,
 *   a row PostgreSQL refuses for its values or size). In a batch of several records the
 *   batch is split until the record is found; that record is dead-lettered with the reason.
 * - `fenced`: another replica owns the partition now (a newer producer epoch). The
 *   partition's work is dropped; the group rebalance gives it to its new owner.
 * - `unknown`: anything else. Retried a few times; if it keeps failing the same batch, the
 *   batch is split until the failing record is isolated and dead-lettered as `unclassified`.
 *
 * Errors born in this product say what they are with `retriable` and `reasonClass`
 * (like KafkaJS's `retriable` flag); third-party errors are recognised by their codes.
 */
export type FailureKind = 'retriable' | 'record' | 'fenced' | 'unknown';

export interface Failure {
  readonly kind: FailureKind;
  /** Short, stable label for metrics and the dead-letter header, e.g. `decode`, `database-refused`, `kafka`. */
  readonly reasonClass: string;
  /** Human-readable reason, with the SQLSTATE or error type where there is one. */
  readonly reason: string;
}

/** An error of this product that knows its class where it is born. */
export interface ClassifiedError extends Error {
  readonly retriable: boolean;
  readonly reasonClass: string;
}

export function isClassifiedError(error: unknown): error is ClassifiedError {
  return error instanceof Error && typeof (error as Partial<ClassifiedError>).retriable === 'boolean' && typeof (error as Partial<ClassifiedError>).reasonClass === 'string';
}

/** A dependency was unreachable or too slow: retry, never dead-letter. */
export class TransientError extends Error implements ClassifiedError {
  readonly retriable = true;
  constructor(
    readonly reasonClass: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/**
 * A dependency did not answer, named where the code knows which one it called, so start-up can
 * say what it waits for (`waiting for postgres: …`). Retriable, with the reason class and reason of
 * the cause. Every service names its dependencies the same way: `kafka`, `schema registry`, `postgres`.
 */
export class DependencyUnavailableError extends TransientError {
  constructor(
    readonly dependency: string,
    cause: unknown,
    failure: Failure = classifyFailure(cause),
  ) {
    super(failure.reasonClass, failure.reason, { cause });
    this.name = 'DependencyUnavailableError';
  }
}

/** Runs `work`; an outage it fails with is reported as `dependency` being unavailable (other failures pass unchanged). */
export async function dependingOn<T>(dependency: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (classifyFailure(error).kind !== 'retriable' || dependencyOf(error) !== undefined) throw error;
    throw new DependencyUnavailableError(dependency, error);
  }
}

/** One record can never be processed: dead-letter it with this reason. */
export class RecordRejectedError extends Error implements ClassifiedError {
  readonly retriable = false;
  constructor(
    readonly reasonClass: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RecordRejectedError';
  }
}

/** SQLSTATE classes that refuse one row for what it holds: data exception, integrity violation, program limit (e.g. index row too large). */
const ROW_REFUSAL_CLASSES = new Set(['22', '23', '54']);
/** SQLSTATE classes of a database that is away or busy: connection, transaction rollback (deadlock, serialization), resources, operator intervention, system error. */
const DATABASE_OUTAGE_CLASSES = new Set(['08', '40', '53', '57', '58']);
/** SQLSTATEs of a busy database outside those classes: lock not available, statement timeout is 57014 (class 57 already). */
const DATABASE_OUTAGE_CODES = new Set(['55P03', '55006']);

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

/** Kafka error types that mean a newer producer owns the transactional id. */
const FENCED_TYPES = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'INVALID_PRODUCER_ID_MAPPING']);
/** Kafka error types that reject one record, whatever the retries. */
const RECORD_TYPES = new Set(['MESSAGE_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'RECORD_LIST_TOO_LARGE']);

function stringProperty(value: unknown, name: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const property = (value as Record<string, unknown>)[name];
  return typeof property === 'string' ? property : undefined;
}

/** The error and its causes, outermost first (KafkaJS and TypeORM wrap the error that matters). */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && current !== null && chain.length < 8; ) {
    chain.push(current);
    const next: unknown = (current as { cause?: unknown; driverError?: unknown; originalError?: unknown }).cause ?? (current as { driverError?: unknown }).driverError ?? (current as { originalError?: unknown }).originalError;
    if (next === current) break;
    current = next;
  }
  return chain;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sqlState(error: unknown): string | undefined {
  const code = stringProperty(error, 'code');
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** The SQLSTATE an error carries, itself or on an error it wraps (TypeORM keeps pg's on driverError). */
export function sqlStateOf(error: unknown): string | undefined {
  for (const candidate of causeChain(error)) {
    const state = sqlState(candidate);
    if (state !== undefined) return state;
  }
  return undefined;
}

export function classifyFailure(error: unknown): Failure {
  const reason = messageOf(error);
  for (const candidate of causeChain(error)) {
    if (isClassifiedError(candidate)) {
      const own = candidate.reasonClass === 'contract' ? `breaks contract ${candidate.message}` : candidate.message;
      return { kind: candidate.retriable ? 'retriable' : 'record', reasonClass: candidate.reasonClass, reason: candidate === error ? own : `${reason} (${own})` };
    }
    const state = sqlState(candidate);
    if (state !== undefined) {
      const stateClass = state.slice(0, 2);
      if (ROW_REFUSAL_CLASSES.has(stateClass)) return { kind: 'record', reasonClass: 'database-refused', reason: `refused by the database (SQLSTATE ${state}): ${reason}` };
      if (DATABASE_OUTAGE_CLASSES.has(stateClass) || DATABASE_OUTAGE_CODES.has(state)) return { kind: 'retriable', reasonClass: 'database', reason: `database unavailable (SQLSTATE ${state}): ${reason}` };
    }
    const kafkaType = stringProperty(candidate, 'type');
    if (kafkaType !== undefined && FENCED_TYPES.has(kafkaType)) return { kind: 'fenced', reasonClass: 'fenced', reason: `fenced by a newer owner of the partition (${kafkaType}): ${reason}` };
    if (kafkaType !== undefined && RECORD_TYPES.has(kafkaType)) return { kind: 'record', reasonClass: 'kafka-refused', reason: `refused by Kafka (${kafkaType}): ${reason}` };
    const code = stringProperty(candidate, 'code');
    if (code !== undefined && NETWORK_CODES.has(code)) return { kind: 'retriable', reasonClass: 'network', reason: `${code}: ${reason}` };
  }
  const name = error instanceof Error ? error.name : '';
  if (/fenced/i.test(reason)) return { kind: 'fenced', reasonClass: 'fenced', reason };
  // Every other KafkaJS error is about the cluster (its "non-retriable" ones are retries exhausted), never about a record.
  if (name.startsWith('KafkaJS')) return { kind: 'retriable', reasonClass: 'kafka', reason: `${name}: ${reason}` };
  if (name === 'TimeoutError' || name === 'AbortError' || /fetch failed|socket hang up|timed out|timeout/i.test(reason)) return { kind: 'retriable', reasonClass: 'timeout', reason };
  if (name === 'QueryFailedError' || /Connection terminated|connection.*(closed|refused|ended)|Client has encountered a connection error/i.test(reason)) {
    return { kind: 'retriable', reasonClass: 'database', reason };
  }
  return { kind: 'unknown', reasonClass: 'unclassified', reason: name ? `${name}: ${reason}` : reason };
}

/**
 * Which dependency an outage is about, where the error says so: one named by `dependingOn`,
 * the Kafka client's own errors, the registry's, the database's (SQLSTATE). Undefined otherwise
 * (a bare ECONNREFUSED could be any of them).
 */
export function dependencyOf(error: unknown): string | undefined {
  for (const candidate of causeChain(error)) {
    if (candidate instanceof DependencyUnavailableError) return candidate.dependency;
    if (candidate instanceof Error && candidate.name.startsWith('KafkaJS')) return 'kafka';
    if (isClassifiedError(candidate) && candidate.reasonClass === 'registry') return 'schema registry';
    if (sqlState(candidate) !== undefined || (candidate instanceof Error && candidate.name === 'QueryFailedError')) return 'postgres';
  }
  return undefined;
}
