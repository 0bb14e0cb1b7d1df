import { registryAnswers } from '@pipeline/kafka';
import { localRegistryPid, pauseLocalRegistry, resumeLocalRegistry, startLocalRegistry, stopLocalRegistry } from '@pipeline/stack';
import { requiredEnv } from './run-environment';
import { waitFor } from './wait';

/**
 * How the local schema registry is made unreachable:
 * - frozen: SIGSTOP, so connections are accepted by the kernel and requests hang unanswered
 *   (a stalled JVM, a network black hole) until SIGCONT;
 * - stopped: the process is stopped, so connections are refused, then started again
 *   (schemas live in PostgreSQL, so their ids survive).
 */
export type RegistryOutage = 'frozen' | 'stopped';

/** The outage this process has caused and not ended yet, so a failing test still ends it. */
let ongoing: RegistryOutage | undefined;

export async function takeRegistryDown(kind: RegistryOutage): Promise<void> {
  localRegistryPid(); // throws, touching nothing, unless the registry is the local stack's own process
  ongoing = kind;
  if (kind === 'frozen') pauseLocalRegistry();
  else await stopLocalRegistry();
  if (kind === 'stopped' && (await registryAnswers(requiredEnv('SCHEMA_REGISTRY_URL')))) throw new Error('the registry still answers after it was stopped');
}

/** Brings the registry back and waits until it answers again. */
export async function bringRegistryBack(kind: RegistryOutage): Promise<void> {
  if (kind === 'frozen') resumeLocalRegistry();
  else await startLocalRegistry();
  await waitFor('the schema registry answering again', () => registryAnswers(requiredEnv('SCHEMA_REGISTRY_URL'), 5000), (answers) => answers, { timeoutMs: 120000 });
  ongoing = undefined;
}

/** Ends an outage a failed test left behind: the shared registry runs and answers again (for afterAll). */
export async function restoreRegistry(): Promise<void> {
  if (ongoing !== undefined) await bringRegistryBack(ongoing);
}
