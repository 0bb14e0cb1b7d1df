/**
 * A stopping service's last log lines reach its output: the ingest-producer, run from source as
 * a child process, stopped with SIGTERM (Nest's shutdown hooks, then the re-raised signal), and
 * started with a bad setting (exit 1 before anything starts).
 */
import { randomUUID } from 'node:crypto';
import { requiredEnv } from '@pipeline/config';
import { freePort } from '@pipeline/stack';
import { startFromSource, type SourceProcess } from './testing/source-process';

jest.setTimeout(180_000);

describe('ingest-producer logs flushed before exit', () => {
  let service: SourceProcess | undefined;
  afterEach(() => service?.kill());

  it('on SIGTERM: the shutdown hooks run and "ingest-producer stopped (SIGTERM)" is its last line on stdout', async () => {
    const port = await freePort();
    service = startFromSource([], {
      KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'),
      SCHEMA_REGISTRY_URL: requiredEnv('SCHEMA_REGISTRY_URL'),
      PIPELINE_TOPIC_NAMESPACE: `it-shutdown-${randomUUID().slice(0, 8)}.`,
      HTTP_PORT: String(port),
      INGEST_GENERATORS: 'none',
      LOG_LEVEL: 'info',
    });
    const started = service;
    // Up once its start line is out (stdout, JSON).
    await new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        if (started.stdout().includes('ingest-producer up on')) {
          clearInterval(check);
          resolve();
        }
      }, 200);
      void started.exited.then((code) => {
        clearInterval(check);
        reject(new Error(`exited (${code}) before starting; stderr:\n${started.stderr().slice(-2000)}`));
      });
    });
    started.child.kill('SIGTERM');
    await started.exited;
    const lines = started
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg?: string; level?: number });
    expect(lines.at(-1)).toMatchObject({ msg: 'ingest-producer stopped (SIGTERM)', level: 30 });
  });

  it('with a bad setting: exits 1, its last line on stderr naming the setting', async () => {
    service = startFromSource([], { HTTP_PORT: 'not-a-port', INGEST_GENERATORS: 'none' });
    expect(await service.exited).toBe(1);
    const lines = service.stderr().trim().split('\n');
    expect(lines[0]).toBe('ingest-producer: invalid configuration');
    expect(lines.at(-1)).toMatch(/^ {2}- HTTP_PORT: .*\(got "not-a-port"\)$/);
  });
});
