/**
 * kafkajs 2.2.4 drops aborted transactions from read-committed fetches in
 * consumer/filterAbortedMessages.js, which this project patches (patches/kafkajs+2.2.4.patch, applied
 * by `npm install` through patch-package): upstream activates at most one aborted transaction per
 * record and trusts the broker to list them by first offset, which it does not (it lists them in the
 * order they ended). Both let aborted records through when transactions of two producers overlap in a
 * partition: a zombie's aborted outputs read as committed. An install that skipped the patch (for
 * example `npm install --ignore-scripts`) would lose exactly-once silently, so clients refuse to start.
 */

/** A fetched record as the filter sees it. */
export interface FetchedRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly isControlRecord?: boolean;
  readonly batchContext: { readonly producerId: string; readonly inTransaction: boolean };
}

export type AbortedRecordsFilter = (input: { messages: FetchedRecord[]; abortedTransactions: Array<{ firstOffset: string; producerId: string }> }) => FetchedRecord[];

const ABORT_MARKER = Buffer.from([0, 0, 0, 0]);
const record = (offset: number, producerId: string): FetchedRecord => ({ offset: String(offset), key: null, batchContext: { producerId, inTransaction: true } });
const abortMarker = (offset: number, producerId: string): FetchedRecord => ({ offset: String(offset), key: ABORT_MARKER, isControlRecord: true, batchContext: { producerId, inTransaction: true } });

/**
 * True when the filter lets an aborted record through: two producers' aborted transactions overlap
 * (A from offset 0, B from 1) and the broker lists B first, as it does when B ended first.
 */
export function leaksAbortedRecords(filter: AbortedRecordsFilter): boolean {
  const messages = [record(0, 'A'), record(1, 'B'), record(2, 'A'), abortMarker(3, 'B'), abortMarker(4, 'A')];
  const abortedTransactions = [
    { firstOffset: '1', producerId: 'B' },
    { firstOffset: '0', producerId: 'A' },
  ];
  for (let start = 0; start < messages.length; start += 1) {
    if (filter({ messages: messages.slice(start), abortedTransactions }).some((kept) => !kept.isControlRecord)) return true;
  }
  return false;
}

/** kafkajs as installed: its internal filter module, the one its consumers call. */
export function installedAbortedRecordsFilter(): AbortedRecordsFilter {
  // An internal module of kafkajs (no typings); resolved at run time, like kafkajs itself.
  return require('kafkajs/src/consumer/filterAbortedMessages') as AbortedRecordsFilter;
}

export class KafkajsNotPatchedError extends Error {
  readonly retriable = false;
  readonly reasonClass = 'configuration';
  constructor() {
    super('kafkajs is installed without this project\'s patch (patches/kafkajs+2.2.4.patch): its read-committed consumers would return aborted records as committed. Run `npm install` (or `npm ci`) without --ignore-scripts, or `npx patch-package`');
    this.name = 'KafkajsNotPatchedError';
  }
}

let verified = false;

/** Throws KafkajsNotPatchedError unless the installed kafkajs filters aborted records correctly (checked once). */
export function assertKafkajsPatched(): void {
  if (verified) return;
  if (leaksAbortedRecords(installedAbortedRecordsFilter())) throw new KafkajsNotPatchedError();
  verified = true;
}
