import type { DeadLetterGroup } from './dead-letter-entry';
import type { DeadLetterListing, ReplayReport, ShownDeadLetter } from './dead-letter-tool';
import { describePayload, jsonText } from './payload';

/** `2026-03-01 09:00` (UTC). */
function minute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

function offsetsText(group: DeadLetterGroup): string {
  return group.offsets.map((range) => `p${range.partition} ${range.first === range.last ? range.first : `${range.first}…${range.last}`}`).join(', ');
}

function table(rows: string[][]): string[] {
  const widths = (rows[0] ?? []).map((_, column) => rows.reduce((widest, row) => Math.max(widest, (row[column] ?? '').length), 0));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  '));
}

/** `dlq list`: one line per group (hour, reason class, source topic, source), its count and offsets, and a sample reason. */
export function formatListing(listing: DeadLetterListing): string {
  const limited = listing.listed < listing.matched ? ` (the oldest ${listing.listed} listed: --limit)` : '';
  const head = `${listing.deadLetterTopic}: ${listing.read} records read, ${listing.matched} matched${limited}, ${listing.groups.length} groups`;
  if (listing.groups.length === 0) return head;
  const rows = [['hour (UTC)', 'reason class', 'source topic', 'source', 'count', 'offsets (first…last)']];
  for (const group of listing.groups) rows.push([minute(group.bucketStart), group.reasonClass, group.sourceTopic, group.source, String(group.count), offsetsText(group)]);
  const lines = table(rows);
  // One example reason per reason class and source: hours of the same failure say it once.
  const reasons = new Map(listing.groups.map((group) => [`${group.reasonClass} from ${group.source}`, group.sampleReason]));
  return [head, ...lines, 'for example:', ...[...reasons].map(([who, reason]) => `  ${who}: ${reason}`)].join('\n');
}

/** `dlq show`: where, why and when, every header, then key and value decoded. */
export function formatShown(shown: ShownDeadLetter): string {
  const { entry } = shown;
  const lines = [
    `dead letter ${shown.deadLetterTopic} ${entry.partition}:${entry.offset}`,
    `  reason class  ${entry.reasonClass}`,
    `  reason        ${entry.reason}`,
    `  source        ${entry.source}${entry.sourceTopic ? ` (topic ${entry.sourceTopic})` : ' (raw input, no source topic)'}`,
    `  failed at     ${new Date(entry.failedAt).toISOString()}`,
    'headers:',
    ...Object.entries(entry.headers).map(([name, values]) => `  ${name}: ${values.join(' | ')}`),
    `key: ${describePayload(shown.key)}`,
    `value: ${describePayload(shown.value)}`,
  ];
  return lines.join('\n');
}

/** `dlq show --json`: the same, machine-readable. */
export function shownJson(shown: ShownDeadLetter): string {
  const { entry } = shown;
  return jsonText(
    {
      deadLetterTopic: shown.deadLetterTopic,
      partition: entry.partition,
      offset: entry.offset,
      timestamp: new Date(entry.timestamp).toISOString(),
      reasonClass: entry.reasonClass,
      reason: entry.reason,
      source: entry.source,
      sourceTopic: entry.sourceTopic ?? null,
      contract: entry.contract ?? null,
      failedAt: new Date(entry.failedAt).toISOString(),
      headers: entry.headers,
      key: shown.key,
      value: shown.value,
    },
    2,
  );
}

/** `dlq replay`: what went where, and what was not sent again. */
export function formatReplay(report: ReplayReport): string {
  const verb = report.dryRun ? 'dry run, nothing sent: would replay' : 'replayed';
  const lines: string[] = [];
  if (report.sent.length === 0) {
    lines.push(report.alreadyReplayed.length > 0 ? `nothing to replay: all ${report.alreadyReplayed.length} selected dead letters were replayed before (${report.ledgerTopic})` : 'nothing to replay: no dead letter selected');
  } else {
    lines.push(`${verb} ${report.sent.length} dead letters from ${report.deadLetterTopic}${report.dryRun ? '' : `, recorded in ${report.ledgerTopic}`}:`);
    for (const item of report.sent) lines.push(`  ${item.position} → ${item.target}${item.fixed ? ' (fixed value)' : ''}`);
  }
  if (report.sent.length > 0 && report.alreadyReplayed.length > 0) {
    const shown = report.alreadyReplayed.slice(0, 10).map((item) => item.position);
    const more = report.alreadyReplayed.length > shown.length ? `, … ${report.alreadyReplayed.length - shown.length} more` : '';
    lines.push(`already replayed, not sent again: ${report.alreadyReplayed.length} (${shown.join(', ')}${more})`);
  }
  return lines.join('\n');
}
