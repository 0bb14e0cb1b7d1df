import { EventEmitter } from 'node:events';
import { register } from 'prom-client';
import { HttpMetricsMiddleware, routeLabel } from './http-metrics';

class FakeResponse extends EventEmitter {
  statusCode = 200;
}

async function sampleValue(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = await register.getSingleMetric(name)?.get();
  return metric?.values.find((value) => Object.entries(labels).every(([key, expected]) => value.labels[key] === expected))?.value;
}

describe('HTTP metrics', () => {
  it('labels a request with its route pattern, never the raw URL; unmatched when no route matched', () => {
    expect(routeLabel({ method: 'POST', baseUrl: '', route: { path: '/ingest/:domain' } })).toBe('/ingest/:domain');
    expect(routeLabel({ method: 'GET', baseUrl: '/api', route: { path: '/health' } })).toBe('/api/health');
    expect(routeLabel({ method: 'GET' })).toBe('unmatched');
  });

  it('counts a request once, when its response finishes, with its status; 499 when the client hung up first', async () => {
    const middleware = new HttpMetricsMiddleware();
    const request = { method: 'POST', route: { path: '/ingest/:domain' } };
    const answered = new FakeResponse();
    middleware.use(request, answered, () => undefined);
    answered.statusCode = 429;
    answered.emit('finish');
    answered.emit('close');
    const abandoned = new FakeResponse();
    middleware.use(request, abandoned, () => undefined);
    abandoned.emit('close');

    expect(await sampleValue('http_requests_total', { route: '/ingest/:domain', method: 'POST', status: '429' })).toBe(1);
    expect(await sampleValue('http_requests_total', { route: '/ingest/:domain', method: 'POST', status: '499' })).toBe(1);
  });
});
