export * from './lib/env-schema';
export * from './lib/environment';
export * from './lib/security-env';
export * from './lib/redact';
export * from './lib/http-env';
export * from './lib/heap-env';
