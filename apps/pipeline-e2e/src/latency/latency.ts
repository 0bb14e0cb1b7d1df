/**
 * npx nx run pipeline-e2e:latency -- --rate 10000 --seconds 60 [--keys 20] [--service-env KEY=VALUE …] [--keep]
 * The latency benchmark (see latency-run.ts); its last line is the summary:
 * `latency-bench events_per_s=R window_p50_ms=A window_p99_ms=B alert_p99_ms=C`.
 */
import { parseArgs } from 'node:util';
import { runLatencyBench, summaryLine } from './latency-run';

const USAGE = 'usage: npx nx run pipeline-e2e:latency -- [--rate <events/s, all domains>] [--seconds <n>] [--keys <n>] [--service-env KEY=VALUE]… [--keep]';

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got "${raw}"\n${USAGE}`);
  return value;
}

function serviceEnv(entries: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    entries.map((entry) => {
      const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(entry);
      if (!match) throw new Error(`--service-env takes KEY=VALUE, got "${entry}"\n${USAGE}`);
      return [match[1] as string, match[2] as string];
    }),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string' },
      seconds: { type: 'string' },
      keys: { type: 'string' },
      'service-env': { type: 'string', multiple: true },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const report = await runLatencyBench({
    rate: positive('rate', values.rate, 10_000),
    seconds: positive('seconds', values.seconds, 60),
    keys: Math.round(positive('keys', values.keys, 20)),
    serviceEnv: serviceEnv(values['service-env'] ?? []),
    keep: values.keep === true,
    log: (line) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`),
  });
  process.stdout.write(`\n${report.lines.join('\n')}\n${summaryLine(report)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`latency: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
