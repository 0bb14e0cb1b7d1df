import type { ComponentName } from './endpoints';
import { LocalStack } from './local-stack';
import { isAlive, sleep } from './processes';
import type { StackSettings } from './stack-settings';

/** How a component goes down: `kill` is a crash (SIGKILL, no shutdown), `stop` its own clean shutdown. */
export type ComponentFault = 'kill' | 'stop';

export interface ComponentRestart {
  component: ComponentName;
  fault: ComponentFault;
  /** The pid that went down and the pid that replaced it. */
  oldPid: number;
  newPid: number;
  /** From the fault to the component working again (its readiness check passed). */
  downMs: number;
}

/**
 * Restarts one component of a local stack in place (same data directory, same ports): for fault
 * tests that need the broker or the database itself to go away, on a stack of their own (never the
 * shared one: every client of it sees the outage). Only a process this stack started is signalled.
 * PostgreSQL is never killed with SIGKILL: its server processes outlive a killed postmaster and keep
 * the data directory locked, so `kill` is refused for it; its `stop` is the fast shutdown.
 */
export async function restartLocalComponent(settings: StackSettings, component: ComponentName, fault: ComponentFault): Promise<ComponentRestart> {
  if (component === 'postgres' && fault === 'kill') throw new Error('PostgreSQL cannot be restarted after SIGKILL (its backends keep the data directory locked); use "stop"');
  const stack = new LocalStack(settings, true);
  const oldPid = stack.status().find((status) => status.name === component)?.pid;
  if (oldPid === undefined) throw new Error(`${component} is not a running process of the local stack in ${settings.stackDir}`);
  const startedAt = Date.now();
  if (fault === 'kill') {
    process.kill(oldPid, 'SIGCONT'); // harmless unless frozen
    process.kill(oldPid, 'SIGKILL');
    while (isAlive(oldPid)) await sleep(50);
  } else {
    await stack.stopComponent(component);
  }
  await stack.up([component]);
  const newPid = stack.status().find((status) => status.name === component)?.pid;
  if (newPid === undefined) throw new Error(`${component} did not come back in ${settings.stackDir}`);
  return { component, fault, oldPid, newPid, downMs: Date.now() - startedAt };
}
