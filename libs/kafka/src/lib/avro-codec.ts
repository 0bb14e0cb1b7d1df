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
  /** Decodes with the writer's schema from the registry, resolved to ours (schema evolution), then validates. */
  decode(buffer: Buffer): Promise<T>;
}

export class AvroDecodeError extends Error {
  constructor(subject: string, reason: string) {
    super(`cannot decode a record of ${subject}: ${reason}`);
    this.name = 'AvroDecodeError';
  }
}

interface WriterResolution {
  writer: Type;
  resolver: ReturnType<Type['createResolver']> | undefined;
}

/** Registers the contract's schema under its subject (the registry checks compatibility) and returns its codec. */
export async function createAvroCodec<T>(registry: SchemaRegistry, binding: AvroBinding<T>): Promise<AvroCodec<T>> {
  const schemaId = await registerAvroSchema(registry, binding.subject, binding.schema);
  const reader = Type.forSchema(binding.schema as Schema);
  // Writer schemas and their resolvers are compiled once per schema id, not per record.
  const resolutions = new Map<number, Promise<WriterResolution>>();
  const resolutionFor = (writerId: number): Promise<WriterResolution> => {
    let resolution = resolutions.get(writerId);
    if (!resolution) {
      resolution = registry.getSchema(writerId).then((schema) => {
        const writer = Type.forSchema(JSON.parse(JSON.stringify(schema)) as Schema);
        return { writer, resolver: writer.equals(reader) ? undefined : reader.createResolver(writer) };
      });
      resolution.catch(() => resolutions.delete(writerId));
      resolutions.set(writerId, resolution);
    }
    return resolution;
  };
  return {
    subject: binding.subject,
    schemaId,
    encode: async (value) => {
      const body = reader.toBuffer(value);
      const header = Buffer.alloc(5);
      header.writeInt32BE(schemaId, 1);
      return Buffer.concat([header, body]);
    },
    decode: async (buffer) => {
      if (buffer.length < 5 || buffer[0] !== 0) throw new AvroDecodeError(binding.subject, 'not in the Confluent wire format (magic byte 0 + schema id)');
      const { resolver } = await resolutionFor(buffer.readInt32BE(1));
      const decoded: unknown = resolver ? reader.fromBuffer(buffer.subarray(5), resolver) : reader.fromBuffer(buffer.subarray(5));
      return binding.validate(decoded);
    },
  };
}
