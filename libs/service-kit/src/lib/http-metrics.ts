import { Injectable, type NestMiddleware } from '@nestjs/common';
import { registeredOnce } from '@pipeline/streaming';
import { Counter, Histogram } from 'prom-client';

interface RequestLike {
  method: string;
  baseUrl?: string;
  route?: { path?: unknown };
}

interface ResponseLike {
  statusCode: number;
  once(event: 'finish' | 'close', listener: () => void): unknown;
}

export const httpMetrics = {
  requests: registeredOnce('http_requests_total', () => new Counter({ name: 'http_requests_total', help: 'HTTP requests answered, by route pattern, method and status', labelNames: ['route', 'method', 'status'] })),
  seconds: registeredOnce(
    'http_request_duration_seconds',
    () => new Histogram({ name: 'http_request_duration_seconds', help: 'Time to answer an HTTP request', labelNames: ['route', 'method', 'status'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] }),
  ),
};

/**
 * The route label is the matched pattern (`/ingest/:domain`), never the raw URL, so the
 * series stay bounded; requests no route matched are `unmatched`.
 */
export function routeLabel(request: RequestLike): string {
  const path = request.route?.path;
  return typeof path === 'string' ? `${request.baseUrl ?? ''}${path}` || '/' : 'unmatched';
}

/**
 * Counts every answered request when its response finishes, so guards' refusals (401, 429),
 * 404s and errors count too (an interceptor would not see those).
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  use(request: RequestLike, response: ResponseLike, next: () => void): void {
    const startedAt = performance.now();
    let counted = false;
    const count = (status: string) => {
      if (counted) return;
      counted = true;
      const labels = { route: routeLabel(request), method: request.method, status };
      httpMetrics.requests.inc(labels);
      httpMetrics.seconds.observe(labels, (performance.now() - startedAt) / 1000);
    };
    response.once('finish', () => count(String(response.statusCode)));
    // Closed before the answer was sent: the client hung up (499, nginx's convention).
    response.once('close', () => count('499'));
    next();
  }
}
