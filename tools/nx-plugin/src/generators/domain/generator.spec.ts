/**
 * The domain generator on this workspace's own files, in memory: an FsTree reads the real files and
 * keeps every write to itself (nothing is flushed), so these tests see exactly what `nx g` would
 * change. That the result compiles and runs is generator.integration.spec.ts's job.
 */
import { join } from 'node:path';
import type { Tree } from '@nx/devkit';
import { FsTree } from 'nx/src/generators/tree';
import { DomainGeneratorError, domainGenerator, domainNames } from './generator';

const workspaceRoot = join(__dirname, '../../../../..');

function workspaceTree(): Tree {
  return new FsTree(workspaceRoot, false);
}

function text(tree: Tree, path: string): string {
  const content = tree.read(path, 'utf-8');
  if (content === null) throw new Error(`${path} is missing`);
  return content;
}

describe('domainNames', () => {
  it('derives every name from a kebab-case domain, with defaults', () => {
    expect(domainNames({ name: 'air-quality' }, 1_800_000_000_000)).toMatchObject({
      fileName: 'air-quality',
      propertyName: 'airQuality',
      className: 'AirQuality',
      snakeName: 'air_quality',
      title: 'Air quality',
      objectKey: `'air-quality'`,
      accessor: `['air-quality']`,
      keyField: 'airQualityId',
      keyColumn: 'air_quality_id',
      window: '15m',
      windowMinutes: 15,
      partitions: 3,
      migrationClass: 'CreateAirQualityTables1800000000000',
      tableName: 'air_quality_window_stats',
    });
    expect(domainNames({ name: 'parking', keyField: 'lotId', window: '4h' })).toMatchObject({ objectKey: 'parking', accessor: '.parking', keyColumn: 'lot_id', windowMinutes: 240 });
  });

  it.each([
    [{ name: 'Parking' }, /kebab-case/],
    [{ name: 'parking lots' }, /kebab-case/],
    [{ name: '' }, /kebab-case/],
    [{ name: 'parking', keyField: 'lot_id' }, /--key-field/],
    [{ name: 'parking', keyField: 'timestamp' }, /--key-field/],
    [{ name: 'parking', window: '90s' }, /--window/],
    [{ name: 'parking', window: '0m' }, /--window/],
    [{ name: 'parking', window: '400d' }, /--window/],
    [{ name: 'parking', partitions: 0 }, /--partitions/],
  ])('refuses %o', (options, message) => {
    expect(() => domainNames(options)).toThrow(DomainGeneratorError);
    expect(() => domainNames(options)).toThrow(message);
  });
});

describe('domainGenerator', () => {
  it('creates the five files and registers the domain everywhere the shipped domains are', async () => {
    const tree = workspaceTree();
    await domainGenerator(tree, { name: 'parking', keyField: 'lotId', window: '15m' });
    const changes = tree.listChanges();
    const created = changes.filter((change) => change.type === 'CREATE').map((change) => change.path);
    const updated = changes.filter((change) => change.type === 'UPDATE').map((change) => change.path);
    expect(created).toEqual(
      expect.arrayContaining([
        'libs/contracts/src/domains/parking.ts',
        'libs/pipelines/src/domains/parking.ts',
        'libs/ingest/src/lib/generators/parking.ts',
        'apps/pipeline-e2e/src/parking.e2e.spec.ts',
        expect.stringMatching(/^libs\/warehouse\/src\/lib\/migrations\/\d+-create-parking-tables\.ts$/),
      ]),
    );
    expect(created).toHaveLength(5);
    expect(updated.sort()).toEqual(
      [
        'README.md',
        'libs/contracts/src/domains/catalog.ts',
        'libs/contracts/src/index.ts',
        'libs/ingest/src/lib/generators/index.ts',
        'libs/ingest/src/lib/jobs.ts',
        'libs/pipelines/src/index.ts',
        'libs/pipelines/src/pipelines.ts',
        'libs/warehouse/src/lib/migrations/index.ts',
      ].sort(),
    );

    const contract = text(tree, 'libs/contracts/src/domains/parking.ts');
    expect(contract).toContain(`defineTopic({ name: 'parking.events', partitions: 3, contract: parkingEvent, key: (event) => event.lotId })`);
    expect(contract).toContain(`naturalKey: ['lotId', 'windowStart', 'windowMinutes']`);
    expect(text(tree, 'libs/pipelines/src/domains/parking.ts')).toContain(`window: tumbling('15m').grace('1m')`);

    const catalog = text(tree, 'libs/contracts/src/domains/catalog.ts');
    expect(catalog).toContain(`import { parkingEventsTopic, parkingWindowStatsTable, parkingWindowStatsTopic } from './parking';`);
    expect(catalog).toMatch(/transit: turnstileEventsTopic,\n {2}parking: parkingEventsTopic,\n\} as const;/);
    expect(catalog).toMatch(/route\(parkingWindowStatsTopic, parkingWindowStatsTable\),\n\] as const;/);
    expect(text(tree, 'libs/contracts/src/index.ts')).toMatch(/export \* from '\.\/domains\/parking';\nexport \* from '\.\/domains\/catalog';/);
    expect(text(tree, 'libs/pipelines/src/pipelines.ts')).toMatch(/ {2}parking: register\(parkingPipeline\),\n\};/);
    expect(text(tree, 'libs/pipelines/src/index.ts')).toMatch(/export \* from '\.\/domains\/parking';\nexport \* from '\.\/pipelines';/);
    const generators = text(tree, 'libs/ingest/src/lib/generators/index.ts');
    expect(generators).toContain('  parking: ParkingEventValue;\n}');
    expect(generators).toContain('  parking: parkingEvents,\n};');
    expect(text(tree, 'libs/ingest/src/lib/jobs.ts')).toContain(`    case 'parking':\n      return work(topics.bind(eventTopics.parking), GENERATORS.parking);\n  }\n}`);
    expect(text(tree, 'libs/warehouse/src/lib/migrations/index.ts')).toMatch(/BoundColumnsAndWriterRole1767225600002, CreateParkingTables\d+\];/);
    expect(text(tree, 'README.md')).toMatch(/\| Transit turnstiles .*\|\n\| Parking \(generated; describe it here\) \| `parking\.events`, by lotId \|/);
  });

  it('quotes a hyphenated domain where it is a key', async () => {
    const tree = workspaceTree();
    await domainGenerator(tree, { name: 'air-quality' });
    expect(text(tree, 'libs/contracts/src/domains/catalog.ts')).toContain(`  'air-quality': airQualityEventsTopic,`);
    expect(text(tree, 'libs/ingest/src/lib/jobs.ts')).toContain(`return work(topics.bind(eventTopics['air-quality']), GENERATORS['air-quality']);`);
    expect(text(tree, 'libs/contracts/src/domains/air-quality.ts')).toContain(`namespace: 'pipeline.air_quality'`);
  });

  it.each([
    ['transit', /already in libs\/contracts\/src\/domains\/catalog\.ts/],
    // clickEvent already exists (clickstream): the index files would export it twice.
    ['click', /would declare clickEvent again/],
    // libs/ingest/src/lib/generators/timeline.ts is not a domain, but the stub would overwrite it.
    ['timeline', /would overwrite libs\/ingest\/src\/lib\/generators\/timeline\.ts/],
  ])('refuses "%s" and changes nothing', async (name, message) => {
    const tree = workspaceTree();
    await expect(domainGenerator(tree, { name })).rejects.toThrow(message);
    expect(tree.listChanges()).toEqual([]);
  });
});
