/** A dead letter's key or value as a person (or `--json`) should see it. */
export type DecodedPayload =
  | { kind: 'empty' }
  /** Registry-framed Avro (magic byte 0, schema id), decoded with its writer schema. */
  | { kind: 'avro'; schemaId: number; value: unknown }
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  /** Anything else, as hex; `note` says why framed-looking bytes did not decode. */
  | { kind: 'binary'; hex: string; note?: string };

/** Decodes registry-framed Avro with the writer schema named in its frame (the registry client's decode). */
export type AvroDecoder = (framed: Buffer) => Promise<unknown>;

/** Bytes that are valid UTF-8 with no control characters but tab and line breaks. */
function asText(bytes: Buffer): string | undefined {
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) return undefined;
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) ? undefined : text;
}

/** True for bytes in the registry's wire format: magic byte 0, a 4-byte schema id, a body. */
export function isRegistryFramed(bytes: Buffer): boolean {
  return bytes.length > 5 && bytes[0] === 0;
}

/** Text, JSON or hex: what bytes are without a registry. */
export function decodePlain(bytes: Buffer): DecodedPayload {
  const text = asText(bytes);
  if (text === undefined) return { kind: 'binary', hex: bytes.toString('hex') };
  const trimmed = text.trim();
  if (/^[[{"]/.test(trimmed) || /^(-?\d|true$|false$|null$)/.test(trimmed)) {
    try {
      return { kind: 'json', value: JSON.parse(trimmed) as unknown };
    } catch {
      // Not JSON after all: text.
    }
  }
  return { kind: 'text', text };
}

/**
 * Decodes a key or value: registry-framed Avro through the registry, JSON parsed, text as
 * text, anything else as hex. Framed bytes the registry cannot decode (unknown schema id,
 * a body that does not match) are shown as hex with the registry's reason.
 */
export async function decodePayload(bytes: Buffer | null, decodeAvro?: AvroDecoder): Promise<DecodedPayload> {
  if (bytes === null || bytes.length === 0) return { kind: 'empty' };
  if (isRegistryFramed(bytes) && decodeAvro) {
    const schemaId = bytes.readInt32BE(1);
    try {
      return { kind: 'avro', schemaId, value: await decodeAvro(bytes) };
    } catch (error) {
      return { kind: 'binary', hex: bytes.toString('hex'), note: `framed as Avro with schema id ${schemaId}, but it does not decode: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  return decodePlain(bytes);
}

/** JSON text of decoded values: bytes as hex, 64-bit integers as strings. */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    function (this: unknown, key: string, item: unknown) {
      const raw = key === '' ? item : (this as Record<string, unknown>)[key];
      if (Buffer.isBuffer(raw)) return raw.toString('hex');
      if (typeof item === 'bigint') return item.toString();
      return item;
    },
    indent,
  );
}

/** The payload as a few lines for a person. */
export function describePayload(payload: DecodedPayload): string {
  switch (payload.kind) {
    case 'empty':
      return '(empty)';
    case 'avro':
      return `Avro (schema id ${payload.schemaId}):\n${jsonText(payload.value, 2)}`;
    case 'json':
      return `JSON:\n${jsonText(payload.value, 2)}`;
    case 'text':
      return `text: ${payload.text}`;
    case 'binary':
      return `${payload.note ? `${payload.note}\n` : ''}hex (${payload.hex.length / 2} bytes): ${payload.hex}`;
  }
}
