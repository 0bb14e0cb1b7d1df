export * from './lib/endpoints';
export * from './lib/errors';
export * from './lib/resolve-stack';
export { stackSettings, findRepoRoot, type StackSettings } from './lib/stack-settings';
export * from './lib/services';
export * from './lib/registry-faults';
export * from './lib/component-faults';
export * from './lib/tcp-proxy';
export * from './lib/free-port';
