import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Type, type Schema } from 'avsc';
import { registerAvroSchema } from './schema-registry';

/** What a codec needs of a contract bound to a topic (structural, so this lib knows no contracts). */
export interface AvroBinding<T> {
  subject: string;
  schema: { type: 'record'; name: string; namespace?: string; fields: unknown[] };
  /** Validates a decoded value against the contract; throws with the reasons otherwise. */
  validate(value: unknown): T;
}

export interface AvroCodec<T> {
  readonly subject: string;
  readonly schemaId: number;
  /** Confluent wire format: magic byte 0, schema id (int32), Avro body. */
  encode(value: T): Promise<Buffer>;
  /** The same bytes, synchronously: the schema id is known once the codec exists, so a hot loop need not await per record. */
  encodeSync(value: T): Buffer;
  /**
   * Decodes with the writer's schema from the registry, resolved to ours (schema evolution), then validates.
   * Throws AvroDecodeError for bytes that can never decode, the binding's validation error for a value
   * that breaks its contract, and any other error (registry unreachable) for a transient failure.
   */
  decode(buffer: Buffer): Promise<T>;
  /**
   * decode without a promise once the record's writer schema is resolved (undefined until then:
   * await decode for that record). A consumer's loop then awaits once per writer schema, not per record.
   */
  decodeResolved(buffer: Buffer): T | undefined;
}

/**
 * The record's bytes can never be decoded (not the wire format, unknown writer schema id,
 * body that does not match its writer schema): a consumer dead-letters it. Registry
 * outages are not this error; they surface as they are, so consumers retry instead.
 */
export class AvroDecodeError extends Error {
  readonly retriable = false;
  readonly reasonClass = 'decode';
  constructor(
    readonly subject: string,
    readonly reason: string,
  ) {
    super(`cannot decode a record of ${subject}: ${reason}`);
    this.name = 'AvroDecodeError';
  }
}

/** The registry did not answer (down, paused, overloaded): consumers retry, never dead-letter. */
export class RegistryUnavailableError extends Error {
  readonly retriable = true;
  readonly reasonClass = 'registry';
  constructor(
    readonly subject: string,
    cause: unknown,
  ) {
    super(`schema registry unavailable while resolving a writer schema of ${subject}: ${messageOf(cause)}`, { cause });
    this.name = 'RegistryUnavailableError';
  }
}

/** A registry look-up that hangs (a paused registry) must not hang the consumer. */
const REGISTRY_LOOKUP_TIMEOUT_MS = 10_000;

function withDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The registry answered 404 for a schema id: no retry will ever find it. */
function isUnknownSchemaId(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'status' in error && error.status === 404;
}

interface WriterResolution {
  writer: Type;
  resolver: ReturnType<Type['createResolver']> | undefined;
}

/** Registers the contract's schema under its subject (the registry checks compatibility) and returns its codec. */
/** Bytes of each slab encodeSync writes records into. */
const ENCODING_SLAB_BYTES = 64 * 1024;

export async function createAvroCodec<T>(registry: SchemaRegistry, binding: AvroBinding<T>): Promise<AvroCodec<T>> {
  const schemaId = await registerAvroSchema(registry, binding.subject, binding.schema);
  // Plain records: avsc's record methods (clone, toBuffer...) are enumerable, and a strict contract rejects them as unknown keys.
  const reader = Type.forSchema(binding.schema as Schema, { omitRecordMethods: true });
  // Writer schemas and their resolvers are compiled once per schema id, not per record.
  const resolutions = new Map<number, Promise<WriterResolution>>();
  const resolved = new Map<number, WriterResolution>();
  const resolutionFor = (writerId: number): Promise<WriterResolution> => {
    let resolution = resolutions.get(writerId);
    if (!resolution) {
      resolution = withDeadline(registry.getSchema(writerId), REGISTRY_LOOKUP_TIMEOUT_MS).then(
        (schema) => {
          try {
            const writer = Type.forSchema(JSON.parse(JSON.stringify(schema)) as Schema);
            const resolution = { writer, resolver: writer.equals(reader) ? undefined : reader.createResolver(writer) };
            resolved.set(writerId, resolution);
            return resolution;
          } catch (error) {
            throw new AvroDecodeError(binding.subject, `writer schema ${writerId} cannot be read as ${binding.schema.name}: ${messageOf(error)}`);
          }
        },
        (error: unknown) => {
          throw isUnknownSchemaId(error) ? new AvroDecodeError(binding.subject, `writer schema id ${writerId} is not in the registry`) : new RegistryUnavailableError(binding.subject, error);
        },
      );
      resolution.catch(() => resolutions.delete(writerId));
      resolutions.set(writerId, resolution);
    }
    return resolution;
  };
  const writerIdOf = (buffer: Buffer): number => {
    if (buffer.length < 5 || buffer[0] !== 0) throw new AvroDecodeError(binding.subject, 'not in the Confluent wire format (magic byte 0 + schema id)');
    return buffer.readInt32BE(1);
  };
  const decodeWith = (buffer: Buffer, { resolver }: WriterResolution): T => {
    let decoded: unknown;
    try {
      decoded = resolver ? reader.fromBuffer(buffer.subarray(5), resolver) : reader.fromBuffer(buffer.subarray(5));
    } catch (error) {
      throw new AvroDecodeError(binding.subject, `the body does not match writer schema ${buffer.readInt32BE(1)}: ${messageOf(error)}`);
    }
    return binding.validate(decoded);
  };
  // Encoded in place into a slab that the records after it share (each a view of its own bytes), as Node's Buffer
  // pool shares its 8 KiB: no copy out of a scratch buffer (before that, toBuffer plus a concat copied every record
  // twice). A slab lives as long as the last record in it, which a batch holds until its send.
  let slab = Buffer.allocUnsafeSlow(ENCODING_SLAB_BYTES);
  let used = 0;
  const encodeSync = (value: T): Buffer => {
    let start = used;
    let end = start + 5 <= slab.length ? reader.encode(value, slab, start + 5) : -1;
    while (end < 0) {
      // Too long for the rest of the slab (a negative end counts the bytes missing past its end, when encoding was
      // tried): a fresh slab, as large as the record when the record is larger than a slab.
      const recordBytes = start + 5 <= slab.length ? slab.length - end - start : 0;
      slab = Buffer.allocUnsafeSlow(Math.max(ENCODING_SLAB_BYTES, recordBytes));
      start = 0;
      end = reader.encode(value, slab, 5);
    }
    slab[start] = 0;
    slab.writeInt32BE(schemaId, start + 1);
    used = end;
    return slab.subarray(start, end);
  };
  return {
    subject: binding.subject,
    schemaId,
    encodeSync,
    encode: async (value) => encodeSync(value),
    decode: async (buffer) => decodeWith(buffer, await resolutionFor(writerIdOf(buffer))),
    decodeResolved: (buffer) => {
      const resolution = resolved.get(writerIdOf(buffer));
      return resolution ? decodeWith(buffer, resolution) : undefined;
    },
  };
}
