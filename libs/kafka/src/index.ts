export * from './lib/kafka-client';
export * from './lib/topics';
export * from './lib/schema-registry';
export * from './lib/round-trip-probe';
export * from './lib/dependency-checks';
export { logLevel } from 'kafkajs';
