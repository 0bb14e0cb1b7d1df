import { LocalStack } from './local-stack';
import { SchemaRegistryServer } from './components/schema-registry-server';
import { ensureJavaDistributions } from './components/java-distributions';
import { requireJava } from './prerequisites';
import { stackSettings, type StackSettings } from './stack-settings';

/**
 * Fault injection for end-to-end tests: the local stack's schema registry process made
 * unreachable and brought back. Only the process this stack started is ever signalled
 * (pid file and command line must both match); a registry from Docker or the environment
 * cannot be faulted from here, and these helpers say so instead of touching anything.
 */
function componentPid(settings: StackSettings, name: 'registry' | 'postgres'): number | undefined {
  return new LocalStack(settings, true).status().find((component) => component.name === name)?.pid;
}

/** The pid of the local registry process; throws when the registry is not one of the local stack's processes. */
export function localRegistryPid(settings: StackSettings = stackSettings()): number {
  const pid = componentPid(settings, 'registry');
  if (pid === undefined) throw new Error(`the schema registry is not a running process of the local stack in ${settings.stackDir} (with Docker or an external registry it cannot be faulted)`);
  return pid;
}

/** Freezes the registry (SIGSTOP): connections are accepted by the kernel but never answered. Returns its pid. */
export function pauseLocalRegistry(settings: StackSettings = stackSettings()): number {
  const pid = localRegistryPid(settings);
  process.kill(pid, 'SIGSTOP');
  return pid;
}

/** Lets a frozen registry run again (SIGCONT; harmless when it is not frozen). Does nothing when it is not running. */
export function resumeLocalRegistry(settings: StackSettings = stackSettings()): void {
  const pid = componentPid(settings, 'registry');
  if (pid !== undefined) process.kill(pid, 'SIGCONT');
}

/** Stops the registry process (connections are refused until startLocalRegistry). */
export async function stopLocalRegistry(settings: StackSettings = stackSettings()): Promise<void> {
  localRegistryPid(settings);
  resumeLocalRegistry(settings); // a frozen process cannot act on SIGTERM
  await new SchemaRegistryServer(settings, () => requireJava(), () => ensureJavaDistributions(settings), undefined).stop();
}

/**
 * Starts the local registry again if it is not running (as `stack:up` does: storing into the
 * local PostgreSQL when that runs too, so schema ids survive) and waits until it answers.
 */
export async function startLocalRegistry(settings: StackSettings = stackSettings()): Promise<void> {
  const postgresIsLocal = componentPid(settings, 'postgres') !== undefined;
  await new LocalStack(settings, postgresIsLocal).up(['registry']);
}
