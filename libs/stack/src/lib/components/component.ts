import type { ComponentName } from '../endpoints';

/** One locally run service of the stack (a process this project starts and owns). */
export interface LocalComponent {
  readonly name: ComponentName;
  readonly logFile: string;
  /** The endpoint value apps use (e.g. "127.0.0.1:9092"). */
  endpoint(): string;
  /** Alive and started by this stack (pid file + command-line marker). */
  runningPid(): number | undefined;
  /** The port is taken by a process this stack did not start. */
  portTakenByOther(): Promise<boolean>;
  start(): Promise<void>;
  /** Resolves when the service really works; throws ComponentStartError otherwise. */
  waitReady(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}
