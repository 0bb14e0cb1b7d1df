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
      job: { kind: 'csv', name: SAMPLE, domain: 'clickstream', file: SAMPLE, eventTime: { kind: 'column', column: 'timestamp' }, pace: { kind: 'asap' }, loop: 1, topic: undefined },
      options: { deadLetterTopic: { topic: 'pipeline.dead-letter', partitions: 3 }, batchSize: 2000, lingerMs: 50, heartbeatIntervalMs: 1000, restart: false },
    });
    const command = parseCommand(['replay', '--file', SAMPLE, '--inject-time', '2024-01-01T00:00:00Z/100', '--pace', 'batches:500-1000/5s', '--passes', '3', '--topic', 'mine', '--dead-letter-topic', 'my-dlq']);
    expect(command).toMatchObject({
      job: { eventTime: { kind: 'synthetic', start: Date.parse('2024-01-01T00:00:00Z'), spacingMs: 100 }, pace: { kind: 'batches' }, loop: 3, topic: 'mine' },
      options: { deadLetterTopic: { topic: 'my-dlq' } },
    });
    expect(parseCommand(['replay', '--file', SAMPLE, '--loop'])).toMatchObject({ job: { loop: true } });
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

  it('names every bad flag, and unknown ones', () => {
    expect(() => parseCommand(['generate', '--domain', 'weather', '--count', '0'])).toThrow(ConfigValidationError);
    expect(() => parseCommand(['generate', '--domain', 'weather', '--count', '0'])).toThrow(/--domain: must be one of iot, clickstream, transit[\s\S]*--count: /);
    expect(() => parseCommand(['replay', '--file', SAMPLE, '--speed', '2'])).toThrow("Unknown option '--speed'");
  });
});
