import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PollApi } from './poll-api';

/**
 * A public-API-shaped fixture for tests and the README example: sensor readings served as
 * `{ "data": [...], "next_cursor": "..." | null }` pages (`/readings?cursor=`), the same pages
 * with `Link: rel="next"` (`/readings/linked?page=`) and by time (`/readings/since?since=`).
 * ETags per page; faults can be queued for the next requests.
 */
export interface FixtureReading {
  id: string;
  sensor: { id: string };
  observed_at: string;
  readings: { temperature_c: number | string; humidity_pct: number; pressure_hpa: number };
  geo: { lat: number; lon: number };
  battery: number;
}

export type Fault = { kind: 'status'; status: number; retryAfter?: string } | { kind: 'slow'; delayMs: number } | { kind: 'malformed' };

export interface FixtureRequest {
  url: string;
  ifNoneMatch?: string;
  status: number;
}

/** The field mapping of the fixture onto SensorReading, as a poll configuration declares it. */
export const FIXTURE_MAPPING: Pick<PollApi, 'items' | 'eventId' | 'fields'> = {
  items: '/data',
  eventId: '/id',
  fields: {
    sensorId: '/sensor/id',
    timestamp: '/observed_at',
    temperature: '/readings/temperature_c',
    humidity: '/readings/humidity_pct',
    pressure: '/readings/pressure_hpa',
    'location.latitude': '/geo/lat',
    'location.longitude': '/geo/lon',
    batteryLevel: '/battery',
  },
};

/** Reading n (1-based) of the fixture: one second apart from `start`, over 5 sensors. */
export function fixtureReading(n: number, start = Date.parse('2024-03-01T00:00:00Z')): FixtureReading {
  return {
    id: `r-${String(n).padStart(6, '0')}`,
    sensor: { id: `sensor-${n % 5}` },
    observed_at: new Date(start + n * 1000).toISOString(),
    readings: { temperature_c: 20 + (n % 7), humidity_pct: 40 + (n % 10), pressure_hpa: 1013 },
    geo: { lat: 52.37, lon: 4.89 },
    battery: 0.9,
  };
}

export class FixtureApi {
  readonly readings: FixtureReading[] = [];
  readonly requests: FixtureRequest[] = [];
  private readonly faults: Fault[] = [];
  private server: Server | undefined;
  url = '';

  /** `delayMs`: every response waits this long (a slow API, so a test can kill a job mid-pagination). */
  constructor(
    private readonly pageSize: number,
    private readonly delayMs = 0,
  ) {}

  async start(): Promise<this> {
    const server = createServer((request, response) => void this.handle(request, response));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  add(...readings: FixtureReading[]): void {
    for (const reading of readings) this.readings.push(reading);
  }

  /** The next requests fail this way, in order. */
  fail(...faults: Fault[]): void {
    for (const fault of faults) this.faults.push(fault);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const ifNoneMatch = request.headers['if-none-match'];
    const reply = (status: number, headers: Record<string, string>, body: string) => {
      this.requests.push({ url: url.pathname + url.search, ifNoneMatch, status });
      if (!response.destroyed) response.writeHead(status, headers).end(body);
    };
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const fault = this.faults.shift();
    if (fault?.kind === 'status') return reply(fault.status, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}, JSON.stringify({ error: `injected ${fault.status}` }));
    if (fault?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    const page = this.page(url);
    if (!page) return reply(404, { 'content-type': 'application/json' }, JSON.stringify({ error: 'no such resource' }));
    if (fault?.kind === 'malformed') return reply(200, { 'content-type': 'application/json' }, '{"data": [ {"id": "r-0');
    const etag = `"${page.tag}"`;
    if (ifNoneMatch === etag) return reply(304, { etag }, '');
    return reply(200, { 'content-type': 'application/json', etag, ...(page.link ? { link: page.link } : {}) }, JSON.stringify(page.body));
  }

  private page(url: URL): { body: unknown; tag: string; link?: string } | undefined {
    const size = this.pageSize;
    const pageAt = (offset: number) => this.readings.slice(offset, offset + size);
    if (url.pathname === '/readings') {
      const offset = Number((url.searchParams.get('cursor') ?? 'c0').slice(1));
      const data = pageAt(offset);
      const more = offset + size < this.readings.length;
      return { body: { data, next_cursor: more ? `c${offset + size}` : null }, tag: `c${offset}-${data.length}-${more}` };
    }
    if (url.pathname === '/readings/linked') {
      const page = Number(url.searchParams.get('page') ?? '1');
      const data = pageAt((page - 1) * size);
      const more = page * size < this.readings.length;
      return { body: { data }, tag: `p${page}-${data.length}-${more}`, link: more ? `</readings/linked?page=${page + 1}>; rel="next"` : undefined };
    }
    if (url.pathname === '/readings/since') {
      const since = url.searchParams.get('since');
      const from = since ? Date.parse(since) : -Infinity;
      const data = this.readings.filter((reading) => Date.parse(reading.observed_at) >= from).slice(0, size);
      return { body: { data }, tag: `s${since ?? ''}-${data.length}` };
    }
    return undefined;
  }
}
