export * from './lib/failures';
export * from './lib/batches';
export * from './lib/progress';
export * from './lib/metrics';
export * from './lib/stream-server';
