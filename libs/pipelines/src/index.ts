export * from './lib/stages';
export * from './domains/iot';
export * from './domains/clickstream';
export * from './domains/transit';
export * from './pipelines';
