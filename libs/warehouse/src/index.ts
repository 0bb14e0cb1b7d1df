export * from './lib/warehouse-data-source';
export * from './lib/warehouse-settings';
export * from './lib/landing-route';
export * from './lib/errors';
export * from './lib/sql';
export * from './lib/migrate';
export * from './lib/read-only-access';
export { warehouseMigrations } from './lib/migrations';
