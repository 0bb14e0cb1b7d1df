/**
 * The registry (real, Confluent-compatible) enforces BACKWARD compatibility per subject:
 * a compatible evolution registers as a new version, an incompatible one is refused.
 */
import { randomUUID } from 'node:crypto';
import { requiredEnv } from '@pipeline/config';
import { createAvroCodec, createSchemaRegistry, registerAvroSchema, SchemaRegistrationError } from '../index';

const registryUrl = () => requiredEnv('SCHEMA_REGISTRY_URL');

const readingV1 = {
  type: 'record' as const,
  name: 'Reading',
  namespace: 'pipeline.compat',
  fields: [
    { name: 'sensorId', type: 'string' },
    { name: 'temperature', type: 'double' },
  ],
};

describe('schema registration (real registry)', () => {
  const subject = `compat-${randomUUID()}-value`;

  it('accepts the first version and a backward-compatible evolution (new field with a default)', async () => {
    const registry = createSchemaRegistry(registryUrl());
    const first = await registerAvroSchema(registry, subject, readingV1);
    const evolved = await registerAvroSchema(registry, subject, {
      ...readingV1,
      fields: [...readingV1.fields, { name: 'humidity', type: ['null', 'double'], default: null }],
    });
    expect(evolved).not.toBe(first);
  });

  it('refuses an incompatible change (a new required field) with the subject named', async () => {
    const registry = createSchemaRegistry(registryUrl());
    const incompatible = registerAvroSchema(registry, subject, { ...readingV1, fields: [...readingV1.fields, { name: 'pressure', type: 'double' }] });
    await expect(incompatible).rejects.toBeInstanceOf(SchemaRegistrationError);
    await expect(incompatible).rejects.toThrow(subject);
  });

  it('decodes records written with an older schema into the newer reader schema', async () => {
    const registry = createSchemaRegistry(registryUrl());
    const evolvedSubject = `compat-${randomUUID()}-value`;
    const writer = await createAvroCodec(registry, { subject: evolvedSubject, schema: readingV1, validate: (value) => value });
    const bytes = await writer.encode({ sensorId: 's1', temperature: 20.5 });
    const reader = await createAvroCodec(registry, {
      subject: evolvedSubject,
      schema: { ...readingV1, fields: [...readingV1.fields, { name: 'humidity', type: ['null', 'double'], default: null }] },
      validate: (value) => value,
    });
    expect(await reader.decode(bytes)).toEqual({ sensorId: 's1', temperature: 20.5, humidity: null });
  });

  it('encodes behind the wire header, values of any size, and decodes them back without a promise once resolved', async () => {
    const registry = createSchemaRegistry(registryUrl());
    const codec = await createAvroCodec(registry, { subject: `compat-${randomUUID()}-value`, schema: readingV1, validate: (value) => value });
    const small = codec.encodeSync({ sensorId: 's1', temperature: 1 });
    expect(small[0]).toBe(0);
    expect(small.readInt32BE(1)).toBe(codec.schemaId);
    expect(codec.decodeResolved(small)).toBeUndefined(); // the writer schema is not resolved yet
    expect(await codec.decode(small)).toEqual({ sensorId: 's1', temperature: 1 });
    const large = { sensorId: 'x'.repeat(200_000), temperature: 2 };
    const bytes = codec.encodeSync(large);
    expect(codec.decodeResolved(bytes)).toEqual(large);
    // After a record larger than a slab: smaller values still encode to exactly their own bytes.
    expect(codec.encodeSync({ sensorId: 's1', temperature: 1 })).toEqual(small);
    expect(() => codec.decodeResolved(Buffer.from([1, 2, 3]))).toThrow(/wire format/);
  });

  it('keeps every record its own bytes while later records fill the shared slab, across slab boundaries', async () => {
    const registry = createSchemaRegistry(registryUrl());
    const codec = await createAvroCodec(registry, { subject: `compat-${randomUUID()}-value`, schema: readingV1, validate: (value) => value });
    await codec.decode(codec.encodeSync({ sensorId: 'warm-up', temperature: 0 }));
    // Sizes from a few bytes to past a 64 KiB slab, in a fixed pseudo-random order, so records end at every kind of boundary.
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    const values = Array.from({ length: 3000 }, (_, index) => ({ sensorId: 's'.repeat(next() % (index % 500 === 0 ? 70_000 : 300)), temperature: index }));
    // Each record's bytes copied as it is encoded: later encodes must leave them as they were.
    const copies: Buffer[] = [];
    const encoded = values.map((value) => {
      const bytes = codec.encodeSync(value);
      copies.push(Buffer.from(bytes));
      return bytes;
    });
    for (const [index, bytes] of encoded.entries()) {
      expect(bytes).toEqual(copies[index]);
      expect(codec.decodeResolved(bytes)).toEqual(values[index]);
    }
  });
});
