/**
 * E-commerce clickstream end to end, from a CSV replay: rows → validation (invalid ones to
 * the dead-letter topic) → Kafka → per-category 1-minute windows → warehouse.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayCsvFile, type IngestSummary } from '@pipeline/ingest';
import { parseBrokerList } from '@pipeline/kafka';
import { isolatedRun, requiredEnv, runEnvironment } from './support/run-environment';
import { contractsFor, type ContractsModule } from './support/contracts-module';
import { PipelineServices } from './support/pipeline-services';
import { header, readAll, testKafka } from './support/kafka-io';
import { waitForRowCount } from './support/warehouse-rows';
import { clickRow, CLICK_COLUMNS as COLUMNS, csvLine, expectedClickStats as expectedStats, MINUTE, warehouseClickStats, type Click } from './support/clickstream-reference';
import { feedPipeline, SCENARIOS, tableCount } from './support/scenario';

const BASE = Date.UTC(2024, 4, 20, 9, 0, 0);
const CATEGORIES = ['books', 'electronics', 'garden', 'toys'];
const TYPES = ['page_view', 'page_view', 'add_to_cart', 'page_view', 'remove_from_cart', 'add_to_cart', 'checkout', 'purchase'];

/** 2,400 clicks over 15 minutes, up to 3 s out of order (bound: 5 s). */
function onTimeClicks(): Click[] {
  const clicks: { click: Click; sendKey: number }[] = [];
  for (let i = 0; i < 2400; i += 1) {
    const timestamp = BASE + i * 375;
    clicks.push({
      sendKey: timestamp + ((i * 7) % 4) * 1000,
      click: {
        eventId: `e-${i}`,
        sessionId: `s-${(i * 13) % 53}`,
        customerId: `c-${(i * 13) % 53 % 29}`,
        eventType: TYPES[(i * 11) % TYPES.length] ?? 'page_view',
        productId: `p-${(i * 17) % 97}`,
        category: CATEGORIES[(i * 7) % CATEGORIES.length] ?? 'books',
        price: ((i * 37) % 5000) / 100 + 1,
        timestamp,
      },
    });
  }
  return clicks.sort((a, b) => a.sendKey - b.sendKey || a.click.eventId.localeCompare(b.click.eventId)).map((entry) => entry.click);
}

/** Clicks of minute 2, placed in the file after minute 10: late. */
const lateClicks: Click[] = CATEGORIES.map((category, k) => ({ eventId: `late-${k}`, sessionId: 's-late', customerId: 'c-late', eventType: 'purchase', productId: 'p-late', category, price: 999, timestamp: BASE + 2 * MINUTE + k * 1000 }));

/** Rows that break the contract, each for a different reason. */
const invalidRows: Record<(typeof COLUMNS)[number], string>[] = [
  { eventId: 'bad-1', sessionId: 's-1', customerId: 'c-1', eventType: 'purchase', productId: 'p-1', category: 'books', price: '12abc', timestamp: '2024-05-20T09:01:00Z' },
  { eventId: 'bad-2', sessionId: 's-1', customerId: 'c-1', eventType: 'wishlist', productId: 'p-1', category: 'books', price: '5', timestamp: '2024-05-20T09:01:00Z' },
  { eventId: 'bad-3', sessionId: 's-1', customerId: 'c-1', eventType: 'page_view', productId: 'p-1', category: '', price: '5', timestamp: '2024-05-20T09:01:00Z' },
  { eventId: 'bad-4', sessionId: 's-1', customerId: 'c-1', eventType: 'page_view', productId: 'p-1', category: 'toys', price: '-3', timestamp: '2024-05-20T09:01:00Z' },
  { eventId: 'bad-5', sessionId: 's-1', customerId: 'c-1', eventType: 'page_view', productId: 'p-1', category: 'toys', price: '3', timestamp: 'yesterday' },
];

function writeCsv(onTime: Click[]): string {
  const lateAt = onTime.findIndex((click) => click.timestamp >= BASE + 10 * MINUTE);
  const lines = [csvLine(COLUMNS)];
  onTime.forEach((click, index) => {
    if (index === lateAt) lines.push(...lateClicks.map(clickRow));
    const invalid = index % 400 === 17 ? invalidRows[(index - 17) / 400] : undefined;
    if (invalid) lines.push(csvLine(COLUMNS.map((column) => invalid[column])));
    lines.push(clickRow(click));
  });
  const file = join(mkdtempSync(join(tmpdir(), 'clickstream-e2e-')), 'clicks.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe.each(SCENARIOS)('clickstream pipeline end to end (CSV replay) %s', (_title, interrupted) => {
  const kafka = testKafka();
  let run: ReturnType<typeof isolatedRun>;
  let services: PipelineServices;
  let contracts: ContractsModule;

  beforeAll(async () => {
    run = isolatedRun('clickstream');
    services = new PipelineServices(runEnvironment(run, 'clickstream'));
    contracts = contractsFor(run.namespace);
  });
  afterAll(() => services.stopAll());

  it('lands exactly the expected windows, dead-letters invalid rows with reasons and reconciles the counts', async () => {
    const onTime = onTimeClicks();
    const file = writeCsv(onTime);
    let replay: Promise<IngestSummary> | undefined;
    await feedPipeline({
      services,
      interrupted,
      warehouseSchema: run.warehouseSchema,
      progressTable: 'clickstream_category_window_stats',
      // Paced so the replay is still running while the services are interrupted.
      firstPart: async () => {
        replay = replayCsvFile({
          connection: { kafka: { brokers: parseBrokerList(requiredEnv('KAFKA_BROKERS')) }, registry: requiredEnv('SCHEMA_REGISTRY_URL') },
          topics: contracts.topics,
          topic: contracts.clickEventsTopic,
          deadLetterTopic: contracts.deadLetterTopic,
          file,
          pace: { kind: 'rate', perSecond: 200 },
        });
      },
      secondPart: () => new Promise((resolve) => setTimeout(resolve, 2000)),
      finish: async () => {
        await replay;
      },
    });
    const summary = await replay;
    const rowsInFile = onTime.length + lateClicks.length + invalidRows.length;
    expect(summary).toMatchObject({ read: rowsInFile, produced: onTime.length + lateClicks.length, deadLettered: invalidRows.length, reconciled: true, endOfInput: true });

    const expected = expectedStats(onTime);
    await waitForRowCount('clickstream_category_window_stats', () => tableCount(run.warehouseSchema, 'clickstream_category_window_stats'), expected.length);
    expect(await warehouseClickStats(run.warehouseSchema)).toEqual(expected);

    const deadLetters = await readAll(kafka, contracts.deadLetterTopic.topic);
    expect(deadLetters).toHaveLength(invalidRows.length);
    const reasons = deadLetters.map((record) => header(record, contracts.HEADERS.reason) ?? '').sort();
    expect(reasons.join('\n')).toMatch(/price/);
    expect(reasons.join('\n')).toMatch(/eventType/);
    expect(reasons.join('\n')).toMatch(/category/);
    expect(reasons.join('\n')).toMatch(/timestamp/);
    expect(deadLetters.every((record) => /^\d+$/.test(header(record, contracts.HEADERS.position) ?? ''))).toBe(true);

    const late = await readAll(kafka, contracts.lateEventsTopic.topic);
    expect(late).toHaveLength(lateClicks.length);
  });
});
