import { DependencyUnavailableError, RecordRejectedError } from '@pipeline/streaming';
import type { Clock } from '../publish/clock';
import { DependencyDeadlineError, runRetrying } from './retrying-job';

/** A clock whose sleeps pass at once and move its time on. */
function instantClock(): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9092'), { code: 'ECONNREFUSED' });
const kafkaDown = () => Object.assign(new Error('Connection error: connect ECONNREFUSED'), { name: 'KafkaJSConnectionError' });

/** A run that fails with each of `failures` in turn, then returns 'done'. */
function failingThen(failures: unknown[]): () => Promise<string> {
  let calls = 0;
  return async () => {
    const failure = failures[calls];
    calls += 1;
    if (failure !== undefined) throw failure;
    return 'done';
  };
}

describe('runRetrying', () => {
  it('retries outages, telling what it waits for in the words every service uses', async () => {
    const waits: string[] = [];
    const clock = instantClock();
    const failures = [new DependencyUnavailableError('schema registry', refused()), kafkaDown(), refused()];
    await expect(runRetrying(failingThen(failures), { clock, onWaiting: (waitingFor) => waits.push(waitingFor) })).resolves.toBe('done');
    expect(waits).toEqual(['waiting for schema registry: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9092', 'waiting for kafka: KafkaJSConnectionError: Connection error: connect ECONNREFUSED', 'waiting: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9092']);
    expect(clock.slept).toHaveLength(3);
  });

  it('rethrows a failure no wait cures at once', async () => {
    const refusal = new RecordRejectedError('contract', 'bad row');
    await expect(runRetrying(failingThen([refusal]), { clock: instantClock() })).rejects.toBe(refusal);
  });

  it('gives up once the outage outlasts its deadline, naming what it waited for', async () => {
    const outage = Array.from({ length: 100 }, () => new DependencyUnavailableError('kafka', kafkaDown()));
    const failure = await runRetrying(failingThen(outage), { clock: instantClock(), deadlineMs: 10_000 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DependencyDeadlineError);
    expect((failure as DependencyDeadlineError).waitingFor).toBe('waiting for kafka: KafkaJSConnectionError: Connection error: connect ECONNREFUSED');
  });
});
