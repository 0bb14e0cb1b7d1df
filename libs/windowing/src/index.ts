export * from './lib/windowing';
