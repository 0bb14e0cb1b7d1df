export * from './lib/env-schema';
