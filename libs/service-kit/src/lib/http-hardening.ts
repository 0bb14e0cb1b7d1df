import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';

/** Where the HTTP server listens and what it accepts (httpServerEnv in libs/config); all optional, so a service not declaring them keeps Node's defaults. */
export interface HttpServerSettings {
  HTTP_PORT: number;
  HTTP_BIND_ADDRESS?: string;
  OPS_PORT?: number;
  OPS_BIND_ADDRESS?: string;
  HTTP_BODY_LIMIT?: string;
  /** Express' `trust proxy`: whose X-Forwarded-For names the client (request.ip). */
  HTTP_TRUST_PROXY?: number | string[];
}

/** Request headers that carry credentials: hidden in every log line (pino redact paths). */
export const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'x-api-key', 'x-webhook-signature'] as const;

export const REDACTED_LOG_PATHS = [...SECRET_HEADERS.map((header) => `req.headers["${header}"]`), 'res.headers["set-cookie"]'];

const OPS_PATHS = /^\/(health|metrics)(\/|\?|$)/;
const VIA_OPS = Symbol('via-ops-listener');

type OpsRequest = IncomingMessage & { [VIA_OPS]?: true };

interface BodyParserError {
  status?: number;
  type?: string;
  message?: string;
}

/**
 * The client address from trusted proxies only (HTTP_TRUST_PROXY), security headers (helmet) and bodies as raw bytes up to HTTP_BODY_LIMIT (413 beyond, as JSON):
 * a handler that needs JSON parses it itself, so it can bound nesting and verify a signature
 * over the exact bytes sent.
 */
export function hardenHttp(app: INestApplication, settings: HttpServerSettings): void {
  const express = app as NestExpressApplication;
  // Without it request.ip is the connection's peer: behind a load balancer, every client would share its address.
  if (settings.HTTP_TRUST_PROXY !== undefined) express.set('trust proxy', settings.HTTP_TRUST_PROXY);
  express.use(helmet());
  express.useBodyParser('raw', { type: () => true, limit: settings.HTTP_BODY_LIMIT ?? '100kb' });
  // Errors of the body parser (too large, bad encoding) answered as JSON, without a stack.
  express.use((error: BodyParserError, _request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => {
    if (typeof error?.status !== 'number' || error.status < 400 || error.status >= 500) return next(error);
    const message = error.type === 'entity.too.large' ? `the body is larger than ${settings.HTTP_BODY_LIMIT ?? '100kb'} (HTTP_BODY_LIMIT)` : (error.message ?? 'bad request body');
    response.statusCode = error.status;
    response.setHeader('content-type', 'application/json; charset=utf-8');
    response.end(JSON.stringify({ statusCode: error.status, message }));
  });
  if (settings.OPS_PORT !== undefined) {
    // /health and /metrics only on the ops listener, nothing else there.
    express.use((request: OpsRequest, response: ServerResponse, next: () => void) => {
      if (OPS_PATHS.test(request.url ?? '') && !request[VIA_OPS]) {
        response.statusCode = 404;
        response.setHeader('content-type', 'application/json; charset=utf-8');
        response.end(JSON.stringify({ statusCode: 404, message: 'served on OPS_PORT' }));
        return;
      }
      next();
    });
  }
}

/** Listens on HTTP_PORT (at HTTP_BIND_ADDRESS), and on OPS_PORT for /health and /metrics when set; the ops listener closes with the app. */
export async function listenHttp(app: INestApplication, settings: HttpServerSettings): Promise<{ main: string; ops: string }> {
  const host = settings.HTTP_BIND_ADDRESS;
  await (host === undefined ? app.listen(settings.HTTP_PORT) : app.listen(settings.HTTP_PORT, host));
  const main = `http://${host ?? '127.0.0.1'}:${settings.HTTP_PORT}`;
  if (settings.OPS_PORT === undefined) return { main, ops: main };
  const handle = app.getHttpAdapter().getInstance() as (request: IncomingMessage, response: ServerResponse) => void;
  const ops: Server = createServer((request: OpsRequest, response) => {
    if (!OPS_PATHS.test(request.url ?? '')) {
      response.statusCode = 404;
      response.end();
      return;
    }
    request[VIA_OPS] = true;
    handle(request, response);
  });
  const opsHost = settings.OPS_BIND_ADDRESS ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    ops.once('error', reject);
    ops.listen(settings.OPS_PORT, opsHost, () => resolve());
  });
  (app.getHttpServer() as Server).once('close', () => {
    ops.closeAllConnections();
    ops.close();
  });
  return { main, ops: `http://${opsHost}:${settings.OPS_PORT}` };
}
