export * from './lib/dependency-check';
export * from './lib/health.controller';
export * from './lib/service-kit.module';
export * from './lib/run-service';
export * from './lib/metrics.controller';
export * from './lib/http-metrics';
export * from './lib/health-contributors';
export * from './lib/http-hardening';
