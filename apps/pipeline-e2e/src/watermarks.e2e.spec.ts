/**
 * Acceptance of issue #8: lateness depends on the input, not on timing. A 60,000-row
 * clickstream CSV ordered by category (all of books, then all of garden, each in time order
 * over the same 100 minutes) is replayed by the ingest-producer service itself (its CSV job,
 * the real replay code path) at three paces and heartbeat intervals; each time every window
 * lands in the warehouse with exact figures and nothing is late. Before the rule, garden's
 * partition heard heartbeats at books' progress and 29,700 of its 30,000 events went late.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isolatedRun, runEnvironment } from './support/run-environment';
import { contractsFor, type ContractsModule } from './support/contracts-module';
import { PipelineServices } from './support/pipeline-services';
import { readAll, testKafka } from './support/kafka-io';
import { waitForRowCount } from './support/warehouse-rows';
import { clickRow, CLICK_COLUMNS, csvLine, expectedClickStats, MINUTE, warehouseClickStats, type Click } from './support/clickstream-reference';
import { tableCount } from './support/scenario';

const BASE = Date.UTC(2024, 5, 3, 10, 0, 0);
const PER_CATEGORY = 30_000;
/** 100 minutes per category: one event every 200 ms. */
const SPACING_MS = (100 * MINUTE) / PER_CATEGORY;
const TYPES = ['page_view', 'page_view', 'add_to_cart', 'page_view', 'checkout', 'purchase', 'remove_from_cart'];

/** books then garden (partitions 0 and 4 of clickstream.events), each in time order over the same span. */
function categoryOrderedClicks(): Click[] {
  return ['books', 'garden'].flatMap((category) =>
    Array.from({ length: PER_CATEGORY }, (_, i): Click => ({
      eventId: `${category}-${i}`,
      sessionId: `s-${category}-${(i * 7) % 113}`,
      customerId: `c-${(i * 7) % 113 % 41}`,
      eventType: TYPES[(i * 5) % TYPES.length] ?? 'page_view',
      productId: `p-${(i * 11) % 89}`,
      category,
      price: ((i * 37) % 9000) / 100 + 1,
      timestamp: BASE + i * SPACING_MS,
    })),
  );
}

function writeCsv(clicks: readonly Click[]): string {
  const lines = [csvLine(CLICK_COLUMNS)];
  for (const click of clicks) lines.push(clickRow(click));
  const file = join(mkdtempSync(join(tmpdir(), 'watermarks-e2e-')), 'category-ordered.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/**
 * The default pace (batches:500-1000/5s) would take about 7 minutes for 60,000 rows; the same
 * batches pacing path at 3,000–6,000 rows per second keeps the replay paced (heartbeats
 * interleave with the data all the way through) in a CI-sized run.
 */
const VARIANTS = [
  ['paced in batches (batches:3000-6000/1s), heartbeats every 1 s (default)', { INGEST_PACE: 'batches:3000-6000/1s' }],
  ['asap, heartbeats every 1 s (default)', { INGEST_PACE: 'asap' }],
  ['paced in batches (batches:3000-6000/1s), heartbeats every 100 ms', { INGEST_PACE: 'batches:3000-6000/1s', INGEST_HEARTBEAT_MS: '100' }],
] as const;

describe('watermarks never make on-time data late (category-ordered 60,000-row replay)', () => {
  const clicks = categoryOrderedClicks();
  const file = writeCsv(clicks);
  const expected = expectedClickStats(clicks);

  it('expects one window per category and minute', () => {
    expect(expected).toHaveLength(200);
  });

  describe.each(VARIANTS)('%s', (_title, ingestEnv) => {
    const kafka = testKafka();
    let run: ReturnType<typeof isolatedRun>;
    let services: PipelineServices;
    let contracts: ContractsModule;

    beforeAll(async () => {
      run = isolatedRun('watermarks');
      services = new PipelineServices(runEnvironment(run, 'clickstream'));
      contracts = contractsFor(run.namespace);
    });
    afterAll(() => services.stopAll());

    it('lands every window with exact figures, and the late-events and dead-letter topics stay empty', async () => {
      await services.start('warehouse-sink');
      await services.start('stream-aggregator');
      await services.start('ingest-producer', { INGEST_CSV_FILE: file, INGEST_CSV_DOMAIN: 'clickstream', ...ingestEnv });

      try {
        await waitForRowCount('clickstream_category_window_stats', () => tableCount(run.warehouseSchema, 'clickstream_category_window_stats'), expected.length, 240_000);
      } catch (error) {
        const late = await readAll(kafka, contracts.lateEventsTopic.topic);
        throw new Error(`${error instanceof Error ? error.message : String(error)}; late events: ${late.length}\ningest-producer: ${services.logTail('ingest-producer')}\nstream-aggregator: ${services.logTail('stream-aggregator')}`);
      }
      expect(await warehouseClickStats(run.warehouseSchema)).toEqual(expected);
      expect(await readAll(kafka, contracts.lateEventsTopic.topic)).toHaveLength(0);
      expect(await readAll(kafka, contracts.deadLetterTopic.topic)).toHaveLength(0);
    });
  });
});
