/**
 * Liveness against readiness on a Nest app built from ServiceKitModule: a part that stalls (as a
 * stream server reports a stalled partition) turns /health/ready and /health to 503 naming it,
 * while /health/live stays 200. No dependency here: the services' own specs probe the real stack.
 */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { serviceEnv } from '@pipeline/config';
import { HealthContributors } from './health-contributors';
import { ServiceKitModule } from './service-kit.module';

describe('HealthController: /health/live, /health/ready, /health', () => {
  let app: INestApplication;
  let stalled: string | undefined;

  beforeAll(async () => {
    const kit = ServiceKitModule.forService({ name: 'health-spec', env: { HTTP_PORT: serviceEnv.HTTP_PORT.default(3000), LOG_LEVEL: serviceEnv.LOG_LEVEL }, dependencies: () => [] });
    app = (await Test.createTestingModule({ imports: [kit] }).compile()).createNestApplication({ logger: false });
    app.get(HealthContributors).add({ name: 'stream', health: () => (stalled ? { ok: false, detail: stalled } : { ok: true, detail: 'all partitions moving' }) });
    await app.listen(0, '127.0.0.1');
  });

  afterAll(() => app.close());

  const get = async (path: string) => {
    const response = await fetch(`${await app.getUrl()}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('answers 200 everywhere while every part is healthy', async () => {
    stalled = undefined;
    expect(await get('/health/live')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await get('/health/ready')).toMatchObject({ status: 200, body: { status: 'ok', info: { stream: { status: 'up' } } } });
    expect(await get('/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('stays live but not ready while a part reports a stalled partition', async () => {
    stalled = 'partition 3 of iot.events stalled for 61 s';
    expect(await get('/health/live')).toMatchObject({ status: 200, body: { status: 'ok' } });
    for (const path of ['/health/ready', '/health']) {
      expect(await get(path)).toMatchObject({ status: 503, body: { status: 'error', error: { stream: { status: 'down', message: stalled } } } });
    }
  });
});
