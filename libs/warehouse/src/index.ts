export * from './lib/warehouse-data-source';
