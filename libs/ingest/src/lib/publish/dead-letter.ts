import { deadLetterRecord } from '@pipeline/contracts';
import type { Message } from '@pipeline/kafka';

/** One rejected input: what it was, where it came from and why it was refused. */
export interface DeadLetter {
  /** The source: a file path, `generator:<domain>`, `webhook:<domain>`. */
  source: string;
  /** Where in the source: a CSV line number, a generator index, a request item. */
  position: string;
  reason: string;
  /** Stable label of the reason; default `invalid-input` (`out-of-order`: beyond the source's declared disorder bound). */
  reasonClass?: string;
  /** The contract it broke. */
  contract: string;
  /** The input as received (a CSV row as column → cell, a JSON item). */
  raw: unknown;
}

/** The dead-letter record: the raw input as JSON, the reason and its origin in headers. Keyed by source, so one source's rejects stay in order. */
export function deadLetterMessage(letter: DeadLetter): Message {
  return deadLetterRecord({
    reason: letter.reason,
    reasonClass: letter.reasonClass ?? 'invalid-input',
    source: letter.source,
    position: letter.position,
    contract: letter.contract,
    key: letter.source,
    value: JSON.stringify(letter.raw ?? null),
  });
}
