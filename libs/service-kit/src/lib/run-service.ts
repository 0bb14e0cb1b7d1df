import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import { Logger } from 'nestjs-pino';
import type { z } from 'zod';
import { applyHeapPolicy, ConfigValidationError, heapEnv, loadEnvironment, parseEnv } from '@pipeline/config';
import { HealthContributors } from './health-contributors';
import { hardenHttp, listenHttp, type HttpServerSettings } from './http-hardening';
import { SERVICE_CONFIG, type ServiceDefinition } from './service-kit.module';

/** Ends a service that cannot start, with one line on stderr (no stack): what failed or what it still waits for. */
function exitUnstarted(service: string, line: string): never {
  process.stderr.write(`${service}: ${line}\n`);
  process.exit(1);
}

/** What the service's parts still wait for, from their /health reports (`pipeline:iot: starting: waiting for kafka: …`). */
function stillWaiting(app: INestApplication): string {
  const waiting = app
    .get(HealthContributors)
    .all()
    .map((contributor) => ({ name: contributor.name, ...contributor.health() }))
    .filter((report) => !report.ok);
  return waiting.map((report) => `${report.name}: ${report.detail}`).join('; ') || 'its transports did not report ready';
}

/**
 * Boots a service: validated config (a bad one exits 1 listing every problem,
 * before anything starts), the heap growth policy (HEAP_GROWTH_PERCENT), JSON logs (credential headers redacted), helmet headers, bodies
 * as bounded raw bytes, /health and /metrics on HTTP_PORT (or OPS_PORT), and graceful shutdown
 * on SIGTERM/SIGINT (Nest runs the modules' shutdown hooks: consumers leave their
 * group, producers flush). The HTTP port listens first; the transports then wait for
 * their dependencies (/health answers 503 `starting: waiting for …` meanwhile), for at most
 * STARTUP_DEADLINE_MS when the service has that setting. A transport that cannot start
 * (a failure no wait cures, or the deadline passed) exits the process 1 with one line.
 */
export async function runService<Shape extends z.ZodRawShape>(
  appModule: Type<unknown>,
  definition: ServiceDefinition<Shape>,
  /** Stream servers (custom transports) to connect once the HTTP port listens, e.g. from a provider of the app. */
  transports: (app: INestApplication) => CustomTransportStrategy[] = () => [],
): Promise<INestApplication> {
  try {
    const environment = loadEnvironment();
    const config: Record<string, unknown> = parseEnv(definition.name, definition.env, environment);
    // Before the service allocates anything much: HEAP_GROWTH_PERCENT bounds the garbage its heap holds
    // (the service's own defaults when its settings declare the heap policy).
    const { HEAP_GROWTH_PERCENT, HEAP_PRETENURING } = config;
    applyHeapPolicy(typeof HEAP_GROWTH_PERCENT === 'number' && typeof HEAP_PRETENURING === 'boolean' ? { HEAP_GROWTH_PERCENT, HEAP_PRETENURING } : parseEnv(definition.name, heapEnv, environment));
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  // Bodies are parsed by hardenHttp (raw bytes, bounded), not by Nest's JSON parser.
  const app = await NestFactory.create(appModule, { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  const settings = app.get<HttpServerSettings & { STARTUP_DEADLINE_MS?: number }>(SERVICE_CONFIG);
  const { STARTUP_DEADLINE_MS } = settings;
  hardenHttp(app, settings);
  const urls = await listenHttp(app, settings);
  app.get(Logger).log(`${definition.name} up on ${urls.main}; health at ${urls.ops}/health`);
  // Health answers (503 "starting") while the transports wait for their dependencies.
  const strategies = transports(app);
  if (strategies.length === 0) return app;
  for (const strategy of strategies) app.connectMicroservice({ strategy }, { inheritAppConfig: true });
  const deadline =
    STARTUP_DEADLINE_MS === undefined
      ? undefined
      : setTimeout(() => exitUnstarted(definition.name, `not started within ${STARTUP_DEADLINE_MS / 1000} s (STARTUP_DEADLINE_MS): ${stillWaiting(app)}`), STARTUP_DEADLINE_MS);
  try {
    await app.startAllMicroservices();
  } catch (error) {
    exitUnstarted(definition.name, `start-up failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearTimeout(deadline);
  }
  return app;
}
