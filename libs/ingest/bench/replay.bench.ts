/**
 * Speed and constant-memory proof of the CSV replay: writes a clickstream CSV (with broken
 * rows), replays it as fast as possible to the real local Kafka (topics of its own, deleted
 * afterwards) sampling heap and RSS, then runs Kafka's own ProducerPerformance on the same
 * broker with the replay's average record size (acks=all, idempotent) and prints both.
 * Not a test: run it with
 *   npx nx run ingest:bench [-- --rows 1000000 --invalid-every 1000 --batch-size 2000 --compression none --parse-on-main-thread]
 * The last line is `ingest-bench rows=N rows_per_s=X producer_perf_records_per_s=Y ratio=Z peak_rss_mib=W`.
 * Kafka and the registry: KAFKA_BROKERS / SCHEMA_REGISTRY_URL (e.g. from .stack/stack.env).
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { applyHeapPolicy, endpointEnv, heapEnvDefaulting, parseEnv } from '@pipeline/config';
import { clickEventsTopic, TopicNamespace } from '@pipeline/contracts';
import { COMPRESSION_CODECS, createKafkaClient, ensureTopics, parseBrokerList, type CompressionName } from '@pipeline/kafka';
import { BATCHING_DEFAULTS, BULK_COMMIT_INTERVAL_MS, formatSummary, INGEST_COMPRESSION, INGEST_HEAP_DEFAULTS, ProgressReporter, renamedTopic, replayCsvFile, runRetrying, writeClickstreamCsv } from '../src';
import { kafkaToolsClasspath, runProducerPerformance } from './producer-performance';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '2000000' },
    'invalid-every': { type: 'string', default: '1000' },
    'batch-size': { type: 'string', default: String(BATCHING_DEFAULTS.batchSize) },
    'max-batch-bytes': { type: 'string', default: String(BATCHING_DEFAULTS.maxBatchBytes) },
    // Default: the job's own choice for the asap pace (BULK_COMMIT_INTERVAL_MS).
    'commit-interval': { type: 'string', default: String(BULK_COMMIT_INTERVAL_MS) },
    compression: { type: 'string', default: INGEST_COMPRESSION },
    'skip-producer-perf': { type: 'boolean', default: false },
    // As the ingest-producer does by default (INGEST_CSV_WORKER), rows are parsed, validated and encoded in a
    // worker thread beside the sends; this flag keeps them on the main thread (INGEST_CSV_WORKER=false).
    'parse-on-main-thread': { type: 'boolean', default: false },
    // Internal: the child process that writes the input file (see main).
    'write-csv': { type: 'string' },
  },
});
const rows = Number(values.rows);
const invalidEvery = Number(values['invalid-every']);
const batchSize = Number(values['batch-size']);
const maxBatchBytes = Number(values['max-batch-bytes']);
const commitIntervalMs = Number(values['commit-interval']);
const isCompression = (name: string): name is CompressionName => Object.hasOwn(COMPRESSION_CODECS, name);
if (!isCompression(values.compression)) throw new Error(`--compression must be one of ${Object.keys(COMPRESSION_CODECS).join(', ')}, got ${values.compression}`);
const compression: CompressionName = values.compression;

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
  const env = parseEnv('ingest bench', { KAFKA_BROKERS: endpointEnv.KAFKA_BROKERS, SCHEMA_REGISTRY_URL: endpointEnv.SCHEMA_REGISTRY_URL, ...heapEnvDefaulting(INGEST_HEAP_DEFAULTS) }, process.env);
  // The heap policy the ingest-producer runs with (HEAP_GROWTH_PERCENT, its default 50, 0 for V8's own; HEAP_PRETENURING, its default false).
  applyHeapPolicy(env);
  const runId = randomUUID().slice(0, 8);
  const file = join(tmpdir(), `clickstream-bench-${runId}.csv`);
  const topic = renamedTopic(TopicNamespace.none.bind(clickEventsTopic), `${clickEventsTopic.name}-bench-${runId}`);
  const deadLetterTopic = { topic: `pipeline.dead-letter-bench-${runId}`, partitions: 3 };
  const perfTopic = { topic: `producer-perf-bench-${runId}`, partitions: topic.partitions };
  const brokers = parseBrokerList(env.KAFKA_BROKERS);
  // Resolved before the replay, so Maven's first download is not inside the comparison.
  const classpath = values['skip-producer-perf'] ? '' : kafkaToolsClasspath();

  let started = Date.now();
  // Written by a child process, so the memory measured below is the replay's own, not the generator's garbage.
  const writer = spawnSync(process.execPath, [...process.execArgv, process.argv[1] ?? __filename, '--write-csv', file, '--rows', String(rows), '--invalid-every', String(invalidEvery)], { stdio: 'inherit' });
  if (writer.status !== 0) throw new Error(`writing ${file} failed (exit ${writer.status})`);
  const writeSeconds = (Date.now() - started) / 1000;
  console.log(`wrote ${rows.toLocaleString('en-US')} rows (one in ${invalidEvery} broken) to ${file}: ${mib(statSync(file).size)} in ${writeSeconds.toFixed(1)} s`);

  const kafka = createKafkaClient({ brokers, clientId: `ingest-bench-${runId}` });
  let perfTopicCreated = false;
  // Created before the clock starts, as ProducerPerformance's topic is below: a replay into existing topics, like
  // every replay but a cluster's first (creating two topics took about half a second of a 7-second run).
  await ensureTopics(kafka, [{ topic: topic.topic, partitions: topic.partitions }, deadLetterTopic]);
  const before = process.memoryUsage();
  const memory = sampleMemory();
  const reporter = new ProgressReporter({ intervalMs: process.stderr.isTTY ? 250 : 5000 });
  // CPU time per row is steadier than rows/s on a machine whose load changes by the minute.
  const cpuBefore = process.cpuUsage();
  started = Date.now();
  try {
    // As the service runs jobs: a fresh topic's metadata may lag its creation on a loaded broker; the retry resumes the job.
    const replay = () => replayCsvFile({
      connection: { kafka: { brokers }, registry: env.SCHEMA_REGISTRY_URL, clientId: `ingest-bench-${runId}` },
      topics: TopicNamespace.none,
      topic,
      file,
      deadLetterTopic,
      pace: { kind: 'asap' },
      batchSize,
      maxBatchBytes,
      commitIntervalMs,
      compression,
      parseInWorker: !values['parse-on-main-thread'],
      onProgress: (snapshot) => reporter.update(snapshot),
    });
    const summary = await runRetrying(replay, { deadlineMs: 120_000, onWaiting: (waitingFor, retryInMs) => console.log(`${waitingFor}; retrying in ${retryInMs} ms`) });
    const peak = memory.stop();
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    reporter.finish(summary);
    const seconds = (Date.now() - started) / 1000;
    const rowsPerSecond = summary.read / seconds;
    const bytes = summary.producedBytes ?? 0;
    const recordSize = summary.produced > 0 ? Math.max(1, Math.round(bytes / summary.produced)) : 1;
    console.log(formatSummary(summary));
    console.log(
      [
        `replay        ${seconds.toFixed(1)} s (job start-up ${(seconds - summary.elapsedMs / 1000).toFixed(2)} s: topics, schema, producer, position), ${Math.round(rowsPerSecond).toLocaleString('en-US')} rows/s, ${mib(bytes / seconds)}/s of records (avg ${recordSize} B key+value; batch ${batchSize} / ${mib(maxBatchBytes)}, commit every ${commitIntervalMs} ms, ${compression}, acks=all, transactional, rows parsed ${values['parse-on-main-thread'] ? 'on the main thread' : 'in a worker thread'})`,
        `cpu           ${cpuSeconds.toFixed(1)} s (${((cpuSeconds * 1e6) / Math.max(1, summary.read)).toFixed(1)} µs per row; user ${(cpu.user / 1e6).toFixed(1)} s, system ${(cpu.system / 1e6).toFixed(1)} s)`,
        `memory        heap ${mib(before.heapUsed)} before, max ${mib(peak.heap)}; RSS ${mib(before.rss)} before, max ${mib(peak.rss)} (${peak.samples} samples)`,
        `file          ${mib(statSync(file).size)} on disk`,
      ].join('\n'),
    );
    if (!summary.reconciled) process.exitCode = 3;
    if (values['skip-producer-perf']) return;
    // Same broker, same record count and size, right after the replay (a shared machine's load varies by the minute).
    await ensureTopics(kafka, [perfTopic]);
    perfTopicCreated = true;
    const perf = await runProducerPerformance({ topic: perfTopic.topic, records: summary.produced, recordSize, brokers: brokers.join(','), classpath });
    const ratio = rowsPerSecond / perf.recordsPerSecond;
    console.log(`kafka         ProducerPerformance ${perf.line}`);
    console.log(`replay CPU per row: ${((cpuSeconds * 1e6) / Math.max(1, summary.read)).toFixed(1)} µs`);
    // The exact line, last, for scripts.
    console.log(`ingest-bench rows=${summary.read} rows_per_s=${Math.round(rowsPerSecond)} producer_perf_records_per_s=${Math.round(perf.recordsPerSecond)} ratio=${ratio.toFixed(2)} peak_rss_mib=${(peak.rss / 2 ** 20).toFixed(1)}`);
  } finally {
    rmSync(file, { force: true });
    const admin = kafka.admin();
    await admin.connect();
    for (const name of [topic.topic, deadLetterTopic.topic, ...(perfTopicCreated ? [perfTopic.topic] : [])]) await admin.deleteTopics({ topics: [name] }).catch(() => undefined);
    await admin.disconnect();
  }
}

const csvToWrite = values['write-csv'];
(csvToWrite === undefined ? main() : writeClickstreamCsv(csvToWrite, { rows, invalidEvery }).then(() => undefined)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
