export * from './lib/warehouse';
