import { join } from 'node:path';
import { ConfigValidationError } from '@pipeline/config';
import { isCliCommand, parseCommand } from './cli';

const SAMPLE = join(__dirname, '../../../libs/ingest/sample/clickstream-sample.csv');

describe('command line', () => {
  it('tells commands from a service start', () => {
    expect(isCliCommand(['replay', '--file', 'x'])).toBe(true);
    expect(isCliCommand([])).toBe(false);
    expect(isCliCommand(['--inspect'])).toBe(false);
  });

  it('replay: the file to the domain topic as fast as possible, event time from the timestamp column, one pass', () => {
    expect(parseCommand(['replay', '--file', SAMPLE])).toEqual({
      kind: 'run',
      job: { kind: 'csv', name: SAMPLE, domain: 'clickstream', file: SAMPLE, eventTime: { kind: 'column', column: 'timestamp' }, pace: { kind: 'asap' }, loop: 1, topic: undefined, parseInWorker: true },
      options: { deadLetterTopic: { topic: 'pipeline.dead-letter', partitions: 3 }, batchSize: 2000, lingerMs: 50, heartbeatIntervalMs: 1000, restart: false },
    });
    const command = parseCommand(['replay', '--file', SAMPLE, '--inject-time', '2024-01-01T00:00:00Z/100', '--pace', 'batches:500-1000/5s', '--passes', '3', '--topic', 'mine', '--dead-letter-topic', 'my-dlq']);
    expect(command).toMatchObject({
      job: { eventTime: { kind: 'synthetic', start: Date.parse('2024-01-01T00:00:00Z'), spacingMs: 100 }, pace: { kind: 'batches' }, loop: 3, topic: 'mine' },
      options: { deadLetterTopic: { topic: 'my-dlq' } },
    });
    expect(parseCommand(['replay', '--file', SAMPLE, '--loop'])).toMatchObject({ job: { loop: true } });
    expect(parseCommand(['replay', '--file', SAMPLE, '--parse-on-main-thread'])).toMatchObject({ job: { parseInWorker: false } });
    expect(parseCommand(['replay', '--file', SAMPLE, '--parse-in-worker'])).toMatchObject({ job: { parseInWorker: true } });
  });

  it('generate: N seeded events paced at their own rate unless told otherwise', () => {
    expect(parseCommand(['generate', '--domain', 'iot', '--count', '500', '--seed', '9', '--rate', '50', '--start', '2024-03-01T00:00:00Z', '--late-fraction', '0.1'])).toMatchObject({
      kind: 'run',
      job: {
        kind: 'generator',
        name: 'generator:iot',
        domain: 'iot',
        count: 500,
        pace: undefined,
        options: { seed: 9, ratePerSecond: 50, keys: 20, startTime: Date.parse('2024-03-01T00:00:00Z'), jitterMs: 0, lateFraction: 0.1, lateByMs: 120000 },
      },
    });
    expect(parseCommand(['generate', '--domain', 'transit', '--count', '5', '--pace', 'asap'])).toMatchObject({ job: { pace: { kind: 'asap' } } });
  });

  it('sample: a deterministic clickstream CSV', () => {
    expect(parseCommand(['sample', '--out', '/tmp/clicks.csv', '--rows', '1000'])).toEqual({ kind: 'sample', out: '/tmp/clicks.csv', rows: 1000, invalidEvery: 40, seed: 7 });
  });

  it('dlq: list with filters, show one record, replay a selection; replay needs a selector', () => {
    expect(parseCommand(['dlq', 'list'])).toEqual({ kind: 'dlq', deadLetterTopic: 'pipeline.dead-letter', action: { verb: 'list', query: { filter: {} } } });
    const since = Date.now() - 2 * 3_600_000;
    const list = parseCommand(['dlq', 'list', '--reason-class', 'decode', '--source-topic', 'clickstream.events', '--since', '2h', '--until', '2026-03-01T10:00:00Z', '--limit', '50', '--dead-letter-topic', 'mine']);
    expect(list).toMatchObject({ deadLetterTopic: 'mine', action: { verb: 'list', query: { filter: { reasonClass: 'decode', sourceTopic: 'clickstream.events', until: Date.parse('2026-03-01T10:00:00Z') }, limit: 50 } } });
    expect(list.kind === 'dlq' && list.action.verb === 'list' && Math.abs((list.action.query.filter?.since ?? 0) - since) < 60_000).toBe(true);
    expect(parseCommand(['dlq', 'show', '2:41', '--json'])).toEqual({ kind: 'dlq', deadLetterTopic: 'pipeline.dead-letter', action: { verb: 'show', position: { partition: 2, offset: '41' }, json: true } });
    expect(parseCommand(['dlq', 'replay', '0:1', '2:3', '--dry-run'])).toMatchObject({ action: { verb: 'replay', dryRun: true, query: { positions: [{ partition: 0, offset: '1' }, { partition: 2, offset: '3' }] } } });
    expect(parseCommand(['dlq', 'replay', '--fixed', 'fixes.jsonl'])).toMatchObject({ action: { verb: 'replay', fixedFile: 'fixes.jsonl', dryRun: false } });
    expect(() => parseCommand(['dlq', 'replay'])).toThrow(/say which dead letters: <partition>:<offset>\.\.\., a filter/);
    expect(() => parseCommand(['dlq', 'replay', '0:1', '--fixed', 'f'])).toThrow('--fixed names its dead letters itself');
    expect(() => parseCommand(['dlq', 'show'])).toThrow('name exactly one dead letter: dlq show <partition>:<offset>');
    expect(() => parseCommand(['dlq', 'show', '7'])).toThrow('"7" is not <partition>:<offset>');
    expect(() => parseCommand(['dlq', 'list', '--since', 'yesterday'])).toThrow('--since: must be now, epoch ms, an ISO-8601 time with a zone, or a time ago (30m, 2h, 7d)');
    expect(() => parseCommand(['dlq', 'purge'])).toThrow('say what to do: dlq list|show|replay');
  });

  it('names every bad flag, and unknown ones', () => {
    expect(() => parseCommand(['generate', '--domain', 'weather', '--count', '0'])).toThrow(ConfigValidationError);
    expect(() => parseCommand(['generate', '--domain', 'weather', '--count', '0'])).toThrow(/--domain: must be one of iot, clickstream, transit[\s\S]*--count: /);
    expect(() => parseCommand(['replay', '--file', SAMPLE, '--speed', '2'])).toThrow("Unknown option '--speed'");
  });
});
