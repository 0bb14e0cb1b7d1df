/**
 * npm run chaos -- --events N --faults F [--seed S] [--keep-stack]
 * The chaos suite on a local stack of its own (see chaos-run.ts); exits 0 only when every check holds.
 */
import { parseArgs } from 'node:util';
import { FAULT_KINDS, formatReport, runChaos } from './chaos-run';

const USAGE = `usage: npm run chaos -- --events <n> --faults <n> [--seed <n>] [--kinds <kind,…>] [--keep-stack]\n  kinds: ${FAULT_KINDS.join(', ')}`;

function faultKinds(raw: string | undefined): (typeof FAULT_KINDS)[number][] | undefined {
  if (raw === undefined) return undefined;
  const kinds = raw.split(',').map((kind) => kind.trim());
  const unknown = kinds.filter((kind) => !(FAULT_KINDS as readonly string[]).includes(kind));
  if (unknown.length > 0 || kinds.length === 0) throw new Error(`--kinds: unknown fault kind(s) ${unknown.join(', ')}\n${USAGE}`);
  return kinds as (typeof FAULT_KINDS)[number][];
}

function positiveInteger(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a non-negative integer, got "${raw}"\n${USAGE}`);
  return value;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { events: { type: 'string' }, faults: { type: 'string' }, seed: { type: 'string' }, kinds: { type: 'string' }, 'keep-stack': { type: 'boolean', default: false } },
    strict: true,
  });
  const options = {
    events: positiveInteger('events', values.events, 50_000),
    faults: positiveInteger('faults', values.faults, 5),
    seed: positiveInteger('seed', values.seed, 1),
    keepStack: values['keep-stack'] === true,
    kinds: faultKinds(values.kinds),
    log: (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`),
  };
  const report = await runChaos(options);
  process.stdout.write(`\n${formatReport(report, options)}\n`);
  return report.passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`chaos: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(2);
  },
);
