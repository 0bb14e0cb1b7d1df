import { eventTopics, sinkRoutes, TopicNamespace, type FieldShape, type TopicBinding } from '@pipeline/contracts';
import type { Message, TopicSpec } from '@pipeline/kafka';
import { DeadLetterSelectionError, parsePosition, positionOf, type DeadLetterEntry } from './dead-letter-entry';

/**
 * The replay ledger of a dead-letter topic, `<dead-letter topic>-replays` (so
 * `<namespace>pipeline.dead-letter-replays`): compacted, one record per replayed dead letter,
 * keyed `<partition>:<offset>`, written only in the transaction that sends the record back.
 */
export function replayLedgerTopic(deadLetterTopic: string): TopicSpec {
  return {
    topic: `${deadLetterTopic}-replays`,
    partitions: 1,
    config: { 'cleanup.policy': 'compact', 'segment.ms': '600000', 'min.cleanable.dirty.ratio': '0.1' },
  };
}

/** What the ledger says of one replayed dead letter. */
export interface LedgerEntry {
  version: 1;
  deadLetter: { topic: string; partition: number; offset: string };
  target: string;
  fixed: boolean;
  replayedAt: string;
}

export function ledgerMessage(entry: LedgerEntry): Message {
  return { key: positionOf(entry.deadLetter), value: JSON.stringify(entry) };
}

/** A corrected value for one dead letter (a line of `dlq replay --fixed <file.jsonl>`). */
export interface DeadLetterFix {
  partition: number;
  offset: string;
  /** The corrected value, validated and encoded by the target topic's contract. */
  value: unknown;
  /** Target topic for raw input whose dead letter names none (default: the event topic of its contract). */
  topic?: string;
  /** Line of the file, for messages. */
  line: number;
}

/** Parses the lines of a fixes file: `{"partition":0,"offset":"42","value":{…}}` per line (blank lines skipped). */
export function parseFixes(text: string, file = 'fixes'): DeadLetterFix[] {
  const fixes: DeadLetterFix[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (error) {
      problems.push(`line ${line}: not JSON (${error instanceof Error ? error.message : String(error)})`);
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      problems.push(`line ${line}: must be an object {"partition", "offset", "value"}`);
      return;
    }
    const { partition, offset, value, topic } = parsed as Record<string, unknown>;
    let position: { partition: number; offset: string };
    try {
      position = parsePosition(`${typeof partition === 'number' ? partition : 'x'}:${typeof offset === 'number' || typeof offset === 'string' ? offset : 'x'}`);
    } catch {
      problems.push(`line ${line}: "partition" must be a non-negative integer and "offset" a non-negative integer (number or string)`);
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push(`line ${line}: "value" must be the corrected value object`);
      return;
    }
    if (topic !== undefined && (typeof topic !== 'string' || !/^[a-zA-Z0-9._-]{1,249}$/.test(topic))) {
      problems.push(`line ${line}: "topic" is not a valid Kafka topic name`);
      return;
    }
    const id = positionOf(position);
    if (seen.has(id)) problems.push(`line ${line}: dead letter ${id} is fixed twice`);
    seen.add(id);
    fixes.push({ ...position, value, line, ...(topic !== undefined && { topic }) });
  });
  if (problems.length > 0) throw new DeadLetterSelectionError(`${file}: ${problems.join('; ')}`);
  if (fixes.length === 0) throw new DeadLetterSelectionError(`${file}: no fixes in it`);
  return fixes;
}

/** Every topic binding of the catalog: event topics first (raw input belongs to those), then what the sink lands. */
function catalogBindings(topics: TopicNamespace): TopicBinding<FieldShape>[] {
  const bindings: TopicBinding<FieldShape>[] = [];
  for (const definition of Object.values(eventTopics)) bindings.push(topics.bind(definition) as TopicBinding<FieldShape>);
  for (const route of sinkRoutes) bindings.push(topics.bind(route.topic) as TopicBinding<FieldShape>);
  return bindings;
}

/** The contract binding of a target topic: the catalog's binding of that topic, else the first one of the named contract. */
export function bindingFor(topic: string, contract: string | undefined, topics: TopicNamespace = TopicNamespace.none): TopicBinding<FieldShape> | undefined {
  const bindings = catalogBindings(topics);
  return bindings.find((binding) => binding.topic === topic) ?? bindings.find((binding) => binding.contract.name === contract);
}

/** One dead letter to send back. */
export interface PlannedReplay {
  entry: DeadLetterEntry;
  target: string;
  /** Present for `--fixed`: the corrected value (validated and encoded later). */
  fix?: DeadLetterFix;
}

export interface ReplayPlan {
  send: PlannedReplay[];
  /** Already in the ledger: a replay sends them never again. */
  alreadyReplayed: { entry: DeadLetterEntry; target: string }[];
}

function describe(entry: DeadLetterEntry): string {
  return `${positionOf(entry)} (${entry.reasonClass} from ${entry.source}${entry.contract ? `, contract ${entry.contract}` : ''})`;
}

/**
 * What a replay sends: each selected dead letter to its source topic (or, fixed, to the
 * topic its fix or contract names), minus what the ledger already has. Refuses the whole
 * selection (nothing is sent) when a record has no target: raw input sent back as it is
 * would be a JSON row on an Avro topic.
 */
export function planReplay(entries: readonly DeadLetterEntry[], replayed: ReadonlySet<string>, fixes?: readonly DeadLetterFix[], topics: TopicNamespace = TopicNamespace.none): ReplayPlan {
  const fixByPosition = new Map(fixes?.map((fix) => [positionOf(fix), fix]));
  const plan: ReplayPlan = { send: [], alreadyReplayed: [] };
  const refused: string[] = [];
  for (const entry of entries) {
    const fix = fixByPosition.get(positionOf(entry));
    const target = fix ? (entry.sourceTopic ?? fix.topic ?? (entry.contract ? bindingFor('', entry.contract, topics)?.topic : undefined)) : entry.sourceTopic;
    if (target === undefined) {
      refused.push(describe(entry));
      continue;
    }
    if (replayed.has(positionOf(entry))) plan.alreadyReplayed.push({ entry, target });
    else plan.send.push({ entry, target, ...(fix && { fix }) });
  }
  if (refused.length > 0) {
    const shown = refused.slice(0, 5).join(', ');
    const more = refused.length > 5 ? ` and ${refused.length - 5} more` : '';
    const remedy = fixes ? 'add "topic" to their fix lines' : 'they are raw input, not records of a topic: send them back corrected with --fixed, or narrow the selection (--source-topic)';
    throw new DeadLetterSelectionError(`refused, nothing sent: ${refused.length} dead letter(s) have no known source topic: ${shown}${more}; ${remedy}`);
  }
  return plan;
}
