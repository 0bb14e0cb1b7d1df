/**
 * End-to-end throughput of the stream-aggregator runtime on the IoT pipeline: decode
 * (Avro), two window stages (1-minute tumbling, 5-minute hopping), alerts, and one Kafka
 * transaction per batch (outputs + state changelog + offsets), against the real stack.
 *
 *   npx nx run aggregator:bench              # 200,000 readings
 *   npx nx run aggregator:bench -- 500000    # more
 *
 * Runs in its own topic namespace (the Nx target sets PIPELINE_TOPIC_NAMESPACE=bench-<time>.),
 * so it never touches other data.
 */
import { performance } from 'node:perf_hooks';
import { avroBindingOf, sensorReadingsTopic, topicNamespace, watermarkHeartbeats } from '@pipeline/contracts';
import * as kafkaLib from '@pipeline/kafka';
import { iotPipeline } from '@pipeline/pipelines';
import { bringUpStack } from '@pipeline/stack';
import { PipelineRunner } from '../src/index';

const EVENTS = Number(process.argv[2] ?? 200_000);
const SENSORS = 100;

async function main(): Promise<void> {
  if (!topicNamespace().startsWith('bench-')) throw new Error('run through `npx nx run aggregator:bench`: it gives the benchmark its own topic namespace');
  const { endpoints } = await bringUpStack();
  const kafka = kafkaLib.createKafkaClient({ brokers: kafkaLib.parseBrokerList(endpoints.KAFKA_BROKERS), clientId: 'aggregator-bench' });
  const registry = kafkaLib.createSchemaRegistry(endpoints.SCHEMA_REGISTRY_URL);
  await kafkaLib.ensureTopics(kafka, [{ topic: sensorReadingsTopic.topic, partitions: sensorReadingsTopic.partitions }]);
  const codec = await kafkaLib.createAvroCodec(registry, avroBindingOf(sensorReadingsTopic));

  const producer = kafkaLib.createReliableProducer(kafka);
  await producer.connect();
  const base = Date.UTC(2024, 0, 1);
  const producedAt = performance.now();
  for (let start = 0; start < EVENTS; start += 2000) {
    const messages = [];
    for (let index = start; index < Math.min(EVENTS, start + 2000); index += 1) {
      const reading = {
        sensorId: `sensor-${index % SENSORS}`,
        timestamp: base + index * 10,
        temperature: 20 + (index % 23),
        humidity: 40 + (index % 53),
        pressure: 1000 + (index % 17),
        location: { latitude: 52, longitude: 13 },
        batteryLevel: 0.15 + (index % 80) / 100,
      };
      messages.push({ key: sensorReadingsTopic.key(reading), value: await codec.encode(reading) });
    }
    await producer.send({ ...kafkaLib.SEND_DEFAULTS, topic: sensorReadingsTopic.topic, messages });
  }
  await producer.send({ ...kafkaLib.SEND_DEFAULTS, topic: sensorReadingsTopic.topic, messages: watermarkHeartbeats(sensorReadingsTopic.partitions, base + EVENTS * 10) });
  await producer.disconnect();
  const produceSeconds = (performance.now() - producedAt) / 1000;

  const runner = new PipelineRunner(kafka, registry, iotPipeline, { groupId: 'aggregator-bench', instanceId: 'bench', log: () => undefined });
  const startedAt = performance.now();
  let peakRss = 0;
  await runner.start();
  while (runner.counters.events < EVENTS) {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const seconds = (performance.now() - startedAt) / 1000;
  await runner.stop();

  const { events, outputRecords, transactions, lateEvents } = runner.counters;
  console.log(`aggregator bench: IoT pipeline, ${EVENTS.toLocaleString('en')} readings, ${SENSORS} sensors, ${sensorReadingsTopic.partitions} partitions`);
  console.log(`  produced (Avro, acks=all, idempotent) in ${produceSeconds.toFixed(1)} s`);
  console.log(`  aggregated in ${seconds.toFixed(1)} s (group join and restore included): ${Math.round(events / seconds).toLocaleString('en')} events/s`);
  console.log(`  ${outputRecords.toLocaleString('en')} output records (windows + alerts), ${transactions.toLocaleString('en')} transactions, ${lateEvents} late`);
  console.log(`  peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
