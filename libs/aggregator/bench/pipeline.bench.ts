/**
 * End-to-end throughput of the stream-aggregator runtime on the IoT pipeline, against the
 * real stack: Avro decode, two window stages (1-minute tumbling, 5-minute hopping), alerts,
 * and one Kafka transaction per batch (outputs + per-key state changes + offsets).
 *
 *   npx nx run aggregator:bench -- --keys 10000 --events 1000000
 *
 * Input (produced by a child process): `events` readings over `keys` sensors, round-robin, event time rising steadily
 * over about 8 minutes of event time whatever the sizes, so each key gets events/keys readings spread evenly over
 * them and windows close all through the run (at keys = events, one reading per key: each opens windows of its own).
 * Phases: produce (not timed), aggregate (timed from the group join to the last event committed: events_per_s, peak
 * RSS), then a fresh replica in a process of its own (as after kill -9) restores the state the run left (restore_ms:
 * every partition, all keys).
 * Prints one line:
 *   aggregator-bench keys=K events=N events_per_s=X peak_rss_mib=Y restore_ms=Z
 * after a line with the aggregator's CPU time while aggregating (steadier than events/s on a loaded machine).
 * Runs in its own topic namespace (the Nx target sets PIPELINE_TOPIC_NAMESPACE=bench-<time>.), whose topics it deletes
 * at the end (`--keep-topics` keeps them; a `--reuse-input` run keeps its input for the next).
 * A/B comparisons: build once (`npx nx run aggregator:bench-build`), produce once with
 * `PIPELINE_TOPIC_NAMESPACE=bench-ab. node dist/bench/aggregator/main.js --keys K --events N --produce-only`,
 * then time each variant on that input with `--reuse-input --group <a fresh name per run>`.
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { applyHeapPolicy, heapEnv, loadEnvironment, parseEnv, topicNamespaceEnv } from '@pipeline/config';
import { avroBindingOf, sensorReadingsTopic as readingsDefinition, TopicNamespace } from '@pipeline/contracts';
import * as kafkaLib from '@pipeline/kafka';
import { iotPipeline as iotTemplate } from '@pipeline/pipelines';
import { bringUpStack } from '@pipeline/stack';
import { createPipelineServer } from '../src/index';

const { values } = parseArgs({ options: { keys: { type: 'string', default: '100' }, events: { type: 'string', default: '1000000' }, 'produce-only': { type: 'boolean', default: false }, 'max-batch': { type: 'string' }, 'reuse-input': { type: 'boolean', default: false }, group: { type: 'string', default: 'aggregator-bench' }, 'restore-only': { type: 'boolean', default: false }, 'keep-topics': { type: 'boolean', default: false } } });
const KEYS = Number(values.keys);
const EVENTS = Number(values.events);
const EVENT_TIME_SPAN_MS = 8 * 60_000;
// The run's namespace (the Nx target sets PIPELINE_TOPIC_NAMESPACE=bench-<time>.), read by the one loader.
const settings = parseEnv('aggregator bench', { ...topicNamespaceEnv, ...heapEnv }, loadEnvironment());
const topics = TopicNamespace.of(settings.PIPELINE_TOPIC_NAMESPACE);
// The heap policy the service runs with (HEAP_GROWTH_PERCENT, default 100; 0 for V8's own).
applyHeapPolicy(settings);
const sensorReadingsTopic = topics.bind(readingsDefinition);
const iotPipeline = iotTemplate.resolve(topics);
const quiet = { log: () => undefined, warn: (message: string, context?: Record<string, unknown>) => console.error(message, context ?? ''), error: (message: string, context?: Record<string, unknown>) => console.error(message, context ?? '') };

async function produce(kafka: kafkaLib.Kafka, registry: kafkaLib.SchemaRegistry): Promise<void> {
  await kafkaLib.ensureTopics(kafka, [{ topic: sensorReadingsTopic.topic, partitions: sensorReadingsTopic.partitions }]);
  const codec = await kafkaLib.createAvroCodec(registry, avroBindingOf(sensorReadingsTopic));
  const producer = kafkaLib.createReliableProducer(kafka);
  await producer.connect();
  const base = Date.UTC(2024, 0, 1);
  const rounds = Math.ceil(EVENTS / KEYS);
  const spacing = EVENT_TIME_SPAN_MS / rounds;
  for (let start = 0; start < EVENTS; start += 5000) {
    const messages: kafkaLib.Message[] = [];
    for (let index = start; index < Math.min(EVENTS, start + 5000); index += 1) {
      const key = index % KEYS;
      const round = Math.floor(index / KEYS);
      const reading = {
        sensorId: `sensor-${key}`,
        timestamp: Math.floor(base + round * spacing + (key * spacing) / KEYS),
        temperature: 20 + (index % 23),
        humidity: 40 + (index % 53),
        pressure: 1000 + (index % 17),
        location: { latitude: 52, longitude: 13 },
        batteryLevel: 0.15 + (index % 80) / 100,
      };
      messages.push({ key: sensorReadingsTopic.key(reading), value: await codec.encode(reading) });
    }
    // Uncompressed, as the ingest-producer sends by default (INGEST_COMPRESSION): the aggregator then pays no gunzip the pipeline does not.
    // One send at a time: kafkajs' idempotent producer can reuse a sequence number when sends to one partition overlap.
    await producer.send({ ...kafkaLib.sendOptions('none'), topic: sensorReadingsTopic.topic, messages });
  }
  await producer.disconnect();
}

/** Deletes every topic of this run's namespace (`bench-<time>.`). */
async function deleteRunTopics(kafka: kafkaLib.Kafka): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const own = (await admin.listTopics()).filter((name) => name.startsWith(topics.prefix));
    if (own.length > 0) await admin.deleteTopics({ topics: own });
  } finally {
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  if (!topics.prefix.startsWith('bench-')) throw new Error('run through `npx nx run aggregator:bench`: it gives the benchmark its own topic namespace');
  if (!(KEYS > 0 && EVENTS >= KEYS)) throw new Error('--keys must be > 0 and --events >= --keys');
  const { endpoints } = await bringUpStack();
  const kafka = kafkaLib.createKafkaClient({ brokers: kafkaLib.parseBrokerList(endpoints.KAFKA_BROKERS), clientId: 'aggregator-bench', log: () => undefined });
  const registry = kafkaLib.createSchemaRegistry(endpoints.SCHEMA_REGISTRY_URL);
  if (values['produce-only']) {
    await produce(kafka, registry);
    process.exit(0);
  }
  const options = { groupId: values.group, logger: quiet, limits: values['max-batch'] ? { maxRecords: Number(values['max-batch']), maxBytes: 16 * 2 ** 20 } : undefined };
  if (values['restore-only']) {
    // A fresh replica's restore of the state left behind (every partition, every open window), as after kill -9.
    const fresh = createPipelineServer(kafka, registry, iotPipeline, options).handler;
    await fresh.prepare();
    const restoreStartedAt = performance.now();
    await fresh.restorePartitions(Array.from({ length: iotPipeline.input.partitions }, (_, partition) => partition));
    console.log(JSON.stringify({ restoreMs: Math.round(performance.now() - restoreStartedAt), keys: fresh.counters.restoredKeys }));
    process.exit(0);
  }
  // A/B runs of one input: the caller fixes the namespace, produces once, then gives each run its own --group.
  if (!values['reuse-input']) {
    // Produced by a child process, so the peak RSS below is the aggregator's own.
    const producedAt = performance.now();
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1] ?? __filename, '--keys', String(KEYS), '--events', String(EVENTS), '--produce-only'], { stdio: 'inherit' });
    if (child.status !== 0) throw new Error(`producing the input failed (exit ${child.status})`);
    console.error(`produced ${EVENTS} readings over ${KEYS} sensors in ${((performance.now() - producedAt) / 1000).toFixed(1)} s`);
  }

  const { server, handler } = createPipelineServer(kafka, registry, iotPipeline, options);
  let peakRss = process.memoryUsage().rss;
  let atPeak = process.memoryUsage();
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    if (usage.rss > peakRss) [peakRss, atPeak] = [usage.rss, usage];
  }, 50);
  const startedAt = performance.now();
  const cpuAtStart = process.cpuUsage();
  await new Promise<void>((resolve, reject) => void server.listen((error?: unknown) => (error ? reject(error) : resolve())));
  while (handler.counters.events < EVENTS) await new Promise((resolve) => setTimeout(resolve, 20));
  const seconds = (performance.now() - startedAt) / 1000;
  // CPU seconds the aggregator used: on a shared machine a steadier measure of its work than the wall clock.
  const { user, system } = process.cpuUsage(cpuAtStart);
  const cpuSeconds = (user + system) / 1e6;
  clearInterval(sampler);
  await server.close();
  const { events, outputRecords, transactions, lateEvents } = handler.counters;
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
  console.error(`at peak RSS: heap ${mib(atPeak.heapUsed)}/${mib(atPeak.heapTotal)} MiB, external ${mib(atPeak.external)} MiB (array buffers ${mib(atPeak.arrayBuffers)} MiB)`);
  console.error(`aggregated ${events} events in ${seconds.toFixed(1)} s: ${outputRecords} output records, ${transactions} transactions, ${lateEvents} late`);

  // The restore runs in a process of its own, as after kill -9: this one still holds the state it built.
  const restorer = spawnSync(process.execPath, [...process.execArgv, process.argv[1] ?? __filename, '--keys', String(KEYS), '--events', String(EVENTS), '--group', values.group, '--restore-only'], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (restorer.status !== 0) throw new Error(`the restoring replica failed (exit ${restorer.status})`);
  const { restoreMs, keys } = JSON.parse(restorer.stdout.trim().split('\n').at(-1) ?? '{}') as { restoreMs: number; keys: number };
  console.error(`restored ${keys} key states in ${restoreMs} ms (a fresh process)`);

  // The run's topics (input, outputs, changelogs: gigabytes at 1,000,000 keys) go with it, unless its input is to be reused.
  if (!values['reuse-input'] && !values['keep-topics']) await deleteRunTopics(kafka);

  console.log(`aggregator CPU while aggregating: ${cpuSeconds.toFixed(1)} s`);
  // The exact line, last, for scripts.
  console.log(`aggregator-bench keys=${KEYS} events=${EVENTS} events_per_s=${Math.round(events / seconds)} peak_rss_mib=${Math.round(peakRss / 2 ** 20)} restore_ms=${restoreMs}`);
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
