import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { register } from 'prom-client';
import type { z } from 'zod';
import { parseEnv } from '@pipeline/config';
import { DEPENDENCY_CHECKS, type DependencyCheck } from './dependency-check';
import { HealthContributors } from './health-contributors';
import { HealthController } from './health.controller';
import { REDACTED_LOG_PATHS } from './http-hardening';
import { HttpMetricsMiddleware } from './http-metrics';
import { MetricsController } from './metrics.controller';

export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');

/** Env files read after the process env (which always wins): a user's .env, then the local stack's endpoints. */
export const ENV_FILES = ['.env', '.stack/stack.env'];

/** What makes one deployable service: its name, its env schema and the dependencies its health reports. */
export interface ServiceDefinition<Shape extends z.ZodRawShape> {
  name: string;
  env: Shape;
  dependencies: (config: z.infer<z.ZodObject<Shape>>) => DependencyCheck[];
}

/** Typed, validated configuration of a service, injectable with @Inject(SERVICE_CONFIG). */
export type ServiceConfig<Shape extends z.ZodRawShape> = z.infer<z.ZodObject<Shape>>;

/**
 * Everything the three services share: validated env (process env first, then
 * .env and the local stack's .stack/stack.env), structured logs, /health, /metrics (every
 * metric labelled with the service's name) and HTTP request metrics.
 */
@Module({})
export class ServiceKitModule implements NestModule {
  static forService<Shape extends z.ZodRawShape>(definition: ServiceDefinition<Shape>): DynamicModule {
    // One registry per process: every series says which service it comes from.
    register.setDefaultLabels({ service: definition.name });
    return {
      module: ServiceKitModule,
      global: true,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          envFilePath: ENV_FILES,
          validate: (raw) => parseEnv(definition.name, definition.env, raw),
        }),
        LoggerModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            pinoHttp: {
              name: definition.name,
              level: config.get<string>('LOG_LEVEL') ?? 'info',
              autoLogging: false,
              // Log lines of a request (a 5xx's error among them) carry its headers: never its credentials.
              redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
            },
          }),
        }),
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        HealthContributors,
        {
          provide: SERVICE_CONFIG,
          inject: [ConfigService],
          useFactory: (config: ConfigService): ServiceConfig<Shape> =>
            Object.fromEntries(Object.keys(definition.env).map((key) => [key, config.get(key)])) as ServiceConfig<Shape>,
        },
        {
          provide: DEPENDENCY_CHECKS,
          inject: [SERVICE_CONFIG],
          useFactory: (config: ServiceConfig<Shape>) => definition.dependencies(config),
        },
      ],
      exports: [SERVICE_CONFIG, DEPENDENCY_CHECKS, HealthContributors],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('{*path}');
  }
}
