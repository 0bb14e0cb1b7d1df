import { existsSync, readFileSync } from 'node:fs';
import { parseEnv as parseDotEnv } from 'node:util';
import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import { Logger } from 'nestjs-pino';
import type { z } from 'zod';
import { ConfigValidationError, parseEnv } from '@pipeline/config';
import { ENV_FILES, SERVICE_CONFIG, type ServiceDefinition } from './service-kit.module';

/** The environment as the service will see it: process env wins over the env files. */
function effectiveEnv(): Record<string, string | undefined> {
  const fromFiles = ENV_FILES.filter((file) => existsSync(file)).map((file) => parseDotEnv(readFileSync(file, 'utf8')));
  return Object.assign({}, ...fromFiles.reverse(), process.env);
}

/**
 * Boots a service: validated config (a bad one exits 1 listing every problem,
 * before anything starts), JSON logs, /health on HTTP_PORT, and graceful shutdown
 * on SIGTERM/SIGINT (Nest runs the modules' shutdown hooks: consumers leave their
 * group, producers flush).
 */
export async function runService<Shape extends z.ZodRawShape>(
  appModule: Type<unknown>,
  definition: ServiceDefinition<Shape>,
  /** Stream servers (custom transports) to connect once the HTTP port listens, e.g. from a provider of the app. */
  transports: (app: INestApplication) => CustomTransportStrategy[] = () => [],
): Promise<INestApplication> {
  try {
    parseEnv(definition.name, definition.env, effectiveEnv());
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const app = await NestFactory.create(appModule, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  const { HTTP_PORT } = app.get<{ HTTP_PORT: number }>(SERVICE_CONFIG);
  await app.listen(HTTP_PORT);
  app.get(Logger).log(`${definition.name} up; health at http://127.0.0.1:${HTTP_PORT}/health`);
  // Health answers (503 "starting") while the transports wait for their dependencies.
  for (const strategy of transports(app)) app.connectMicroservice({ strategy }, { inheritAppConfig: true });
  await app.startAllMicroservices();
  return app;
}
