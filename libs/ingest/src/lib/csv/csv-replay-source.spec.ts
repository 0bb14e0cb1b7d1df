import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { turnstileEvent } from '@pipeline/contracts';
import type { EventTimeSource } from '../event-time';
import type { SourceItem } from '../source';
import { CsvHeaderError } from './csv-layout';
import { CsvSourceError } from './csv-records';
import { csvReplayItems } from './csv-replay-source';

type Turnstile = ReturnType<typeof turnstileEvent.parse>;

const directory = mkdtempSync(join(tmpdir(), 'csv-replay-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function csvFile(name: string, lines: string[]): string {
  const file = join(directory, name);
  writeFileSync(file, lines.join('\n'));
  return file;
}

async function collect(file: string, eventTime: EventTimeSource, passes = 1, sendTime = 0): Promise<Array<{ item: SourceItem<Turnstile>; admission: ReturnType<SourceItem<Turnstile>['admit']> }>> {
  const items = [];
  for await (const item of csvReplayItems({ file, contract: turnstileEvent, eventTime, passes })) items.push({ item, admission: item.admit(sendTime) });
  return items;
}

const HEADER = 'station,turnstileId,deviceId,entries,exits,timestamp';

describe('CSV replay source', () => {
  const file = csvFile('turnstiles.csv', [
    HEADER,
    'Fulton St,R105-00,dev-1,12,3,1000',
    '"Times Sq-42 St,\nnorth",R100-00,dev-2,4,1,2000',
    'Fulton St,R105-00,dev-1,-2,3,3000',
    '',
    'Fulton St,R105-00,dev-1,5,5,"4000"x',
    'Fulton St,R105-00,dev-1,7,0,4000',
    'Fulton St,"R105-00,dev-1,7,0,5000',
  ]);
  const column: EventTimeSource = { kind: 'column', column: 'timestamp' };

  it('numbers rows by the line they start on and rejects invalid or unreadable ones with the reason', async () => {
    const items = await collect(file, column);
    expect(items.map(({ item }) => item.position)).toEqual(['2', '3', '5', '7', '8', '9']);
    expect(items.map(({ admission }) => admission.accepted)).toEqual([true, true, false, false, true, false]);
    expect(items[1]?.admission).toMatchObject({ accepted: true, value: { station: 'Times Sq-42 St,\nnorth', timestamp: 2000 } });
    expect(items[2]?.admission).toMatchObject({ accepted: false, reason: expect.stringContaining('entries'), raw: expect.objectContaining({ entries: '-2' }) });
    expect(items[3]?.admission).toMatchObject({ accepted: false, reason: expect.stringContaining('timestamp is not epoch millis'), raw: expect.objectContaining({ timestamp: '"4000"x' }) });
    expect(items[5]?.admission).toMatchObject({ accepted: false, reason: expect.stringContaining('is not readable CSV: Quote Not Closed'), raw: expect.stringContaining('"R105-00') });
    expect(items.map(({ item }) => item.eventTime)).toEqual([1000, 2000, undefined, undefined, 4000, undefined]);
  });

  it('shifts each further pass by the span plus one gap, so event time keeps advancing', async () => {
    const items = await collect(file, column, 3);
    const times = items.flatMap(({ admission }) => (admission.accepted ? [admission.value.timestamp] : []));
    // Span 1000..4000 over 3 valid rows: shift = 3000 × 3/2 = 4500 per pass.
    expect(times).toEqual([1000, 2000, 4000, 5500, 6500, 8500, 10000, 11000, 13000]);
    expect(items.map(({ item }) => item.position).slice(6, 8)).toEqual(['2 (pass 2)', '3 (pass 2)']);
  });

  it('injects synthetic times by row index, continuing across passes', async () => {
    const items = await collect(file, { kind: 'synthetic', start: 10_000, spacingMs: 100 }, 2);
    // The bad time cell of line 7 does not matter once the time is injected.
    expect(items.map(({ item }) => item.eventTime)).toEqual([10_000, 10_100, undefined, 10_300, 10_400, undefined, 10_600, 10_700, undefined, 10_900, 11_000, undefined]);
  });

  it('injects the wall-clock time at send', async () => {
    const items = await collect(file, { kind: 'now' }, 1, 1_700_000_000_000);
    expect(items[0]?.item.eventTime).toBeUndefined();
    expect(items[0]?.admission).toMatchObject({ accepted: true, value: { timestamp: 1_700_000_000_000 } });
  });

  it('fails on a header that does not fit the contract, an empty file or a missing file', async () => {
    await expect(collect(csvFile('bad-header.csv', ['station,entries', 'x,1']), column)).rejects.toThrow(CsvHeaderError);
    await expect(collect(csvFile('empty.csv', []), column)).rejects.toThrow('the file is empty: no header row');
    await expect(collect(join(directory, 'missing.csv'), column)).rejects.toThrow(CsvSourceError);
  });
});
