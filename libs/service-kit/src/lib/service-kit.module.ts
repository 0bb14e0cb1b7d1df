import { type DynamicModule, Logger, type MiddlewareConsumer, Module, type NestModule, type OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { destination } from 'pino';
import { register } from 'prom-client';
import type { z } from 'zod';
import { loadEnvironment, parseEnv } from '@pipeline/config';
import { TopicNamespace } from '@pipeline/contracts';
import { DEPENDENCY_CHECKS, type DependencyCheck } from './dependency-check';
import { HealthContributors } from './health-contributors';
import { HealthController } from './health.controller';
import { REDACTED_LOG_PATHS } from './http-hardening';
import { HttpMetricsMiddleware } from './http-metrics';
import { MetricsController } from './metrics.controller';

export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');

/** What makes one deployable service: its name, its env schema and the dependencies its health reports. */
export interface ServiceDefinition<Shape extends z.ZodRawShape> {
  name: string;
  env: Shape;
  dependencies: (config: z.infer<z.ZodObject<Shape>>) => DependencyCheck[];
}

/** Typed, validated configuration of a service, injectable with @Inject(SERVICE_CONFIG). */
export type ServiceConfig<Shape extends z.ZodRawShape> = z.infer<z.ZodObject<Shape>>;

/** The service's last line: it stopped, and on which signal (written synchronously, see the logger's destination). */
class ShutdownLog implements OnApplicationShutdown {
  private readonly logger = new Logger('service-kit');

  constructor(private readonly service: string) {}

  onApplicationShutdown(signal?: string): void {
    this.logger.log(`${this.service} stopped${signal ? ` (${signal})` : ''}`);
  }
}

/**
 * The validated settings of a service, as SERVICE_CONFIG: read once, when Nest builds the
 * module (not at import), by the one loader (libs/config loadEnvironment).
 */
@Module({})
class ServiceConfigModule {
  static forService<Shape extends z.ZodRawShape>(definition: ServiceDefinition<Shape>): DynamicModule {
    return {
      module: ServiceConfigModule,
      global: true,
      providers: [
        { provide: SERVICE_CONFIG, useFactory: (): ServiceConfig<Shape> => parseEnv(definition.name, definition.env, loadEnvironment()) },
        // The service's topic namespace (PIPELINE_TOPIC_NAMESPACE, topicNamespaceEnv): inject TopicNamespace, bind topics with it.
        {
          provide: TopicNamespace,
          inject: [SERVICE_CONFIG],
          useFactory: (config: { PIPELINE_TOPIC_NAMESPACE?: string }) => TopicNamespace.of(config.PIPELINE_TOPIC_NAMESPACE ?? ''),
        },
      ],
      exports: [SERVICE_CONFIG, TopicNamespace],
    };
  }
}

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
    const config = ServiceConfigModule.forService(definition);
    return {
      module: ServiceKitModule,
      global: true,
      imports: [
        config,
        LoggerModule.forRootAsync({
          imports: [config],
          inject: [SERVICE_CONFIG],
          useFactory: (settings: { LOG_LEVEL?: string }) => ({
            // Synchronous writes: a stopping service's last lines reach stdout before it exits, even when
            // Nest re-raises SIGTERM after its shutdown hooks (a signal skips pino's exit-time flush).
            pinoHttp: [
              {
                name: definition.name,
                level: settings.LOG_LEVEL ?? 'info',
                autoLogging: false,
                // Log lines of a request (a 5xx's error among them) carry its headers: never its credentials.
                redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
              },
              destination({ dest: 1, sync: true }),
            ],
          }),
        }),
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        HealthContributors,
        { provide: ShutdownLog, useFactory: () => new ShutdownLog(definition.name) },
        {
          provide: DEPENDENCY_CHECKS,
          inject: [SERVICE_CONFIG],
          useFactory: (config: ServiceConfig<Shape>) => definition.dependencies(config),
        },
      ],
      exports: [config, DEPENDENCY_CHECKS, HealthContributors],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('{*path}');
  }
}
