export * from './lib/pipeline-runner';
export * from './lib/state-changelog';
