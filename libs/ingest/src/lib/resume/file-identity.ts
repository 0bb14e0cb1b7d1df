import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CsvSourceError } from '../csv/csv-records';

/** How much of each end of a file its fingerprint covers. */
const SAMPLE_BYTES = 1024 * 1024;

export interface FileIdentity {
  file: string;
  size: number;
  /** sha256 of the first and last MiB: cheap for any size, and unlike mtime it survives a copy. */
  fingerprint: string;
}

/** Identifies a file's content well enough to refuse resuming a replay on another (a grown, truncated or rewritten) file. */
export async function fileIdentity(file: string): Promise<FileIdentity> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const hash = createHash('sha256');
      const head = Buffer.alloc(Math.min(size, SAMPLE_BYTES));
      await handle.read(head, 0, head.length, 0);
      hash.update(head);
      if (size > SAMPLE_BYTES) {
        const tail = Buffer.alloc(Math.min(size - SAMPLE_BYTES, SAMPLE_BYTES));
        await handle.read(tail, 0, tail.length, size - tail.length);
        hash.update(tail);
      }
      return { file: resolve(file), size, fingerprint: hash.digest('hex') };
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new CsvSourceError(file, error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/** Why a replay of `now` cannot resume where a run over `stored` stopped, or undefined when it is the same content. */
export function fileChange(stored: Record<string, unknown>, now: FileIdentity): string | undefined {
  if (stored['size'] !== now.size) return `the file was ${String(stored['size'])} bytes and is ${now.size} bytes now`;
  if (stored['fingerprint'] !== now.fingerprint) return 'the file has the same size but other content (its first or last MiB differ)';
  return undefined;
}
