/**
 * Constant-memory proof of the CSV replay: writes a multi-million-row clickstream CSV (with
 * broken rows), replays it as fast as possible to the real local Kafka (topics of its own,
 * deleted afterwards) and samples heap and RSS while it runs. Not a test: run it with
 *   npx nx run ingest:bench [-- --rows 5000000 --invalid-every 1000 --batch-size 1000]
 * Kafka and the registry: KAFKA_BROKERS / SCHEMA_REGISTRY_URL, default the local stack.
 */
import { randomUUID } from 'node:crypto';
import { rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { endpointEnv, parseEnv } from '@pipeline/config';
import { clickEventsTopic } from '@pipeline/contracts';
import { createKafkaClient, parseBrokerList } from '@pipeline/kafka';
import { formatSummary, ProgressReporter, renamedTopic, replayCsvFile, writeClickstreamCsv } from '../src';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '2000000' },
    'invalid-every': { type: 'string', default: '1000' },
    'batch-size': { type: 'string', default: '1000' },
  },
});
const rows = Number(values.rows);
const invalidEvery = Number(values['invalid-every']);
const batchSize = Number(values['batch-size']);

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** Highest heap and RSS seen, sampled every 100 ms while the replay runs. */
function sampleMemory(): { stop(): { heap: number; rss: number; samples: number } } {
  const peak = { heap: 0, rss: 0, samples: 0 };
  const sample = () => {
    const { heapUsed, rss } = process.memoryUsage();
    peak.heap = Math.max(peak.heap, heapUsed);
    peak.rss = Math.max(peak.rss, rss);
    peak.samples += 1;
  };
  const timer = setInterval(sample, 100);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

async function main(): Promise<void> {
  const env = parseEnv('ingest bench', { KAFKA_BROKERS: endpointEnv.KAFKA_BROKERS, SCHEMA_REGISTRY_URL: endpointEnv.SCHEMA_REGISTRY_URL }, process.env);
  const runId = randomUUID().slice(0, 8);
  const file = join(tmpdir(), `clickstream-bench-${runId}.csv`);
  const topic = renamedTopic(clickEventsTopic, `${clickEventsTopic.topic}-bench-${runId}`);
  const deadLetterTopic = { topic: `pipeline.dead-letter-bench-${runId}`, partitions: 3 };

  let started = Date.now();
  const written = await writeClickstreamCsv(file, { rows, invalidEvery });
  const writeSeconds = (Date.now() - started) / 1000;
  console.log(`wrote ${written.rows.toLocaleString('en-US')} rows (${written.brokenRows.toLocaleString('en-US')} broken) to ${file}: ${mib(statSync(file).size)} in ${writeSeconds.toFixed(1)} s`);

  const before = process.memoryUsage();
  const memory = sampleMemory();
  const reporter = new ProgressReporter({ intervalMs: process.stderr.isTTY ? 250 : 5000 });
  started = Date.now();
  try {
    const summary = await replayCsvFile({
      connection: { kafka: { brokers: parseBrokerList(env.KAFKA_BROKERS) }, registry: env.SCHEMA_REGISTRY_URL, clientId: `ingest-bench-${runId}` },
      topic,
      file,
      deadLetterTopic,
      pace: { kind: 'asap' },
      batchSize,
      onProgress: (snapshot) => reporter.update(snapshot),
    });
    const peak = memory.stop();
    reporter.finish(summary);
    const seconds = (Date.now() - started) / 1000;
    console.log(formatSummary(summary));
    console.log(
      [
        `replay        ${seconds.toFixed(1)} s, ${Math.round(summary.read / seconds).toLocaleString('en-US')} rows/s (batch ${batchSize}, gzip, acks=all, idempotent)`,
        `memory        heap ${mib(before.heapUsed)} before, max ${mib(peak.heap)}; RSS ${mib(before.rss)} before, max ${mib(peak.rss)} (${peak.samples} samples)`,
        `file          ${mib(statSync(file).size)} on disk`,
      ].join('\n'),
    );
    if (!summary.reconciled) process.exitCode = 3;
  } finally {
    rmSync(file, { force: true });
    const admin = createKafkaClient({ brokers: parseBrokerList(env.KAFKA_BROKERS), clientId: `ingest-bench-${runId}` }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic.topic, deadLetterTopic.topic] }).finally(() => admin.disconnect());
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
