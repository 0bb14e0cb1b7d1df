import { join } from 'node:path';
import { ConfigValidationError, parseEnv } from '@pipeline/config';
import { ingestProducer } from './service';
import { planJobs } from './job-plan';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const SAMPLE = join(__dirname, '../../../libs/ingest/sample/clickstream-sample.csv');

function configOf(env: Record<string, string>) {
  return parseEnv(ingestProducer.name, ingestProducer.env, env);
}

describe('ingest-producer environment', () => {
  it('runs the three generators by default, live (starting now) with one seed each', () => {
    const plan = planJobs(configOf({}), NOW);
    expect(plan.jobs.map((job) => job.name)).toEqual(['generator:iot', 'generator:clickstream', 'generator:transit']);
    expect(plan.jobs.map((job) => job.kind === 'generator' && job.options)).toEqual([
      expect.objectContaining({ seed: 1, ratePerSecond: 20, keys: 20, startTime: NOW }),
      expect.objectContaining({ seed: 2 }),
      expect.objectContaining({ seed: 3 }),
    ]);
    expect(plan.batching).toEqual({ batchSize: 2000, lingerMs: 50, heartbeatIntervalMs: 1000 });
  });

  it('replays a CSV file (and runs no generator unless asked) with the seed article pace by default', () => {
    const plan = planJobs(configOf({ INGEST_CSV_FILE: SAMPLE, INGEST_TIMESTAMP_COLUMN: 'ts' }), NOW);
    expect(plan.jobs).toEqual([
      {
        kind: 'csv',
        name: `csv:${SAMPLE}`,
        domain: 'clickstream',
        file: SAMPLE,
        eventTime: { kind: 'column', column: 'ts' },
        pace: { kind: 'batches', min: 500, max: 1000, intervalMs: 5000 },
        loop: false,
        parseInWorker: true,
      },
    ]);
    expect(planJobs(configOf({ INGEST_CSV_FILE: SAMPLE, INGEST_CSV_WORKER: 'false' }), NOW).jobs[0]).toMatchObject({ parseInWorker: false });
    const injected = planJobs(configOf({ INGEST_CSV_FILE: SAMPLE, INGEST_INJECT_TIME: 'now', INGEST_PACE: 'rate:100', INGEST_GENERATORS: 'iot' }), NOW);
    expect(injected.jobs.map((job) => job.name)).toEqual([`csv:${SAMPLE}`, 'generator:iot']);
    expect(injected.jobs[0]).toMatchObject({ eventTime: { kind: 'now' }, pace: { kind: 'rate', perSecond: 100 } });
    expect(planJobs(configOf({ INGEST_GENERATORS: 'none' }), NOW).jobs).toEqual([]);
  });

  it('refuses a generator beside a single-pass replay of the same domain, and replay pacing without event times', () => {
    expect(() => planJobs(configOf({ INGEST_CSV_FILE: SAMPLE, INGEST_GENERATORS: 'clickstream' }), NOW)).toThrow(ConfigValidationError);
    expect(() => planJobs(configOf({ INGEST_CSV_FILE: SAMPLE, INGEST_GENERATORS: 'clickstream' }), NOW)).toThrow('END_OF_INPUT');
    expect(planJobs(configOf({ INGEST_CSV_FILE: SAMPLE, INGEST_GENERATORS: 'clickstream', INGEST_LOOP: 'true' }), NOW).jobs).toHaveLength(2);
    expect(() => planJobs(configOf({ INGEST_CSV_FILE: SAMPLE, INGEST_INJECT_TIME: 'now', INGEST_PACE: 'replay:2' }), NOW)).toThrow('replay pacing needs event times');
  });

  it('names every bad variable at once', () => {
    const problems = (() => {
      try {
        configOf({ INGEST_CSV_FILE: 'missing.csv', INGEST_PACE: 'warp', INGEST_GENERATORS: 'iot,weather', GENERATOR_LATE_FRACTION: '2', INGEST_LOOP: 'maybe', INGEST_INJECT_TIME: 'later' });
        return [];
      } catch (error) {
        return error instanceof ConfigValidationError ? error.problems : [String(error)];
      }
    })();
    expect(problems).toEqual([
      expect.stringMatching(/^INGEST_CSV_FILE: no such file .*missing\.csv/),
      expect.stringMatching(/^INGEST_INJECT_TIME: injected time "later"/),
      expect.stringMatching(/^INGEST_PACE: pace "warp" is not a known pace/),
      'INGEST_LOOP: must be true or false (got "maybe")',
      expect.stringMatching(/^INGEST_GENERATORS: unknown domain weather/),
      expect.stringMatching(/^GENERATOR_LATE_FRACTION: .*(got "2")/),
    ]);
  });
});
