import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineTopic, TopicNamespace, turnstileEventsTopic } from '@pipeline/contracts';
import { partitionOfKey } from '@pipeline/kafka';
import { Type, type Schema } from 'avsc';
import type { EventTimeSource } from '../event-time';
import type { SourceItem } from '../source';
import { CsvHeaderError } from './csv-layout';
import { CsvSourceError } from './csv-records';
import { csvReplayItems, type CsvReplaySourceOptions } from './csv-replay-source';
import { csvReplayItemsInWorker, csvWorkerPlan } from './csv-worker-source';

type Turnstile = ReturnType<typeof turnstileEventsTopic.contract.parse>;

const directory = mkdtempSync(join(tmpdir(), 'csv-worker-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function csvFile(name: string, lines: string[]): string {
  const file = join(directory, name);
  writeFileSync(file, lines.join('\n'));
  return file;
}

const topic = TopicNamespace.none.bind(turnstileEventsTopic);
const column: EventTimeSource = { kind: 'column', column: 'timestamp' };
const SCHEMA_ID = 42;

async function collect(items: AsyncIterable<SourceItem<Turnstile>>): Promise<SourceItem<Turnstile>[]> {
  const all: SourceItem<Turnstile>[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** The worker's items, one by one (it hands them over a batch at a time). */
async function* inWorker(options: CsvReplaySourceOptions<Turnstile>): AsyncGenerator<SourceItem<Turnstile>> {
  const plan = csvWorkerPlan(topic, options.eventTime, SCHEMA_ID, 'bundle-or-source');
  if (!plan) throw new Error('no worker plan for the turnstile topic');
  for await (const batch of csvReplayItemsInWorker(options, plan)) yield* batch;
}

describe('CSV replay rows parsed in a worker thread', () => {
  const lines = [
    'station,turnstileId,deviceId,entries,exits,timestamp,note',
    'Fulton St,R105-00,dev-1,12,3,1000,a',
    '"Times Sq-42 St,\nnorth",R100-00,dev-2,4,1,2000,b',
    'Fulton St,R105-00,dev-1,-2,3,3000,c',
    '',
    'Fulton St,R105-00,dev-1,5,5,"4000"x,d',
    'Fulton St,R105-00,dev-1,7,0,4000,e',
    'Fulton St,R105-00,dev-1,7,0',
    'Canal St,R200-01,dev-9,1,1,6000,f',
  ];
  const file = csvFile('turnstiles.csv', lines);

  it('is planned for catalog topics with a column or synthetic event time, not for `now` or another key', () => {
    expect(csvWorkerPlan(topic, column, SCHEMA_ID, 'bundle-or-source')).toMatchObject({ domain: 'transit', schemaId: SCHEMA_ID, partitions: topic.partitions });
    expect(csvWorkerPlan(topic, { kind: 'synthetic', start: 0, spacingMs: 10 }, SCHEMA_ID, 'bundle-or-source')).toBeDefined();
    expect(csvWorkerPlan(topic, { kind: 'now' }, SCHEMA_ID, 'bundle-or-source')).toBeUndefined();
    const otherKey = TopicNamespace.none.bind(defineTopic({ ...turnstileEventsTopic, name: 'turnstiles-by-device', key: (event) => event.deviceId }));
    expect(csvWorkerPlan(otherKey, column, SCHEMA_ID, 'bundle-or-source')).toBeUndefined();
    // Run from sources, only when asked: no bundle beside this file.
    expect(csvWorkerPlan(topic, column, SCHEMA_ID)).toBeUndefined();
  });

  it.each([
    ['one pass', 1, 0],
    ['three passes after a skip', 3, 4],
  ])('gives the main thread the same items (%s): positions, event times, admissions; events keyed, partitioned and encoded as the pump would', async (_, passes, skip) => {
    const options: CsvReplaySourceOptions<Turnstile> = { file, contract: topic.contract, eventTime: column, passes, skip };
    const layouts: string[][] = [];
    const expected = await collect(csvReplayItems(options));
    const actual = await collect(inWorker({ ...options, onLayout: (layout) => layouts.push(layout.ignoredColumns) }));
    expect(layouts).toEqual([['note']]);
    expect(actual.map((item) => [item.position, item.eventTime, item.admit(0)])).toEqual(expected.map((item) => [item.position, item.eventTime, item.admit(0)]));
    const avro = Type.forSchema(topic.contract.avroSchema as Schema, { omitRecordMethods: true });
    const header = Buffer.from([0, 0, 0, 0, SCHEMA_ID]);
    for (const item of actual) {
      const admission = item.admit(0);
      if (!admission.accepted) {
        expect(item.encoded).toBeUndefined();
        continue;
      }
      const key = topic.key(admission.value);
      expect(item.encoded).toEqual({ timestamp: admission.value.timestamp, key: Buffer.from(key), value: Buffer.concat([header, avro.toBuffer(admission.value)]), partition: partitionOfKey(key, topic.partitions) });
    }
  });

  it('fails as the main thread would: a header without the contract, a missing file', async () => {
    const badHeader = csvFile('bad-header.csv', ['station,entries', 'x,1']);
    const expected = await collect(csvReplayItems({ file: badHeader, contract: topic.contract, eventTime: column, passes: 1 })).catch((error: unknown) => error);
    const actual = await collect(inWorker({ file: badHeader, contract: topic.contract, eventTime: column, passes: 1 })).catch((error: unknown) => error);
    expect(actual).toBeInstanceOf(CsvHeaderError);
    expect(actual).toEqual(expected);
    const missing = await collect(inWorker({ file: join(directory, 'missing.csv'), contract: topic.contract, eventTime: column, passes: 1 })).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(CsvSourceError);
    expect((missing as Error).message).toContain('missing.csv');
  });
});
