import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ComponentName } from './endpoints';
import type { StackSettings } from './stack-settings';
import { runToCompletion } from './processes';

/** docker-compose.yml service names of the infrastructure, by component. */
const SERVICE_OF: Record<ComponentName, string> = { kafka: 'kafka', registry: 'schema-registry', postgres: 'postgres' };

/** Host endpoints the compose file publishes (kept equal to the local stack's defaults). */
export function dockerEndpoints(): Record<ComponentName, string> {
  return {
    kafka: '127.0.0.1:9092',
    registry: 'http://127.0.0.1:8081',
    postgres: 'postgres://pipeline:pipeline@127.0.0.1:5432/pipeline',
  };
}

/** The infrastructure services of docker-compose.yml, for machines with a Docker engine. */
export class DockerStack {
  private readonly marker: string;

  constructor(private readonly settings: StackSettings) {
    this.marker = join(settings.stackDir, 'run', 'docker-services');
  }

  up(names: readonly ComponentName[]): Record<ComponentName, string> {
    const services = names.map((name) => SERVICE_OF[name]);
    runToCompletion('docker', ['compose', '-f', join(this.settings.repoRoot, 'docker-compose.yml'), 'up', '-d', '--wait', ...services], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    mkdirSync(join(this.settings.stackDir, 'run'), { recursive: true });
    writeFileSync(this.marker, services.join('\n'));
    return dockerEndpoints();
  }

  /** Stops the compose services only if `up` started them. */
  down(): boolean {
    if (!existsSync(this.marker)) return false;
    const services = readFileSync(this.marker, 'utf8').split('\n').filter(Boolean);
    runToCompletion('docker', ['compose', '-f', join(this.settings.repoRoot, 'docker-compose.yml'), 'stop', ...services], { stdio: 'inherit' });
    rmSync(this.marker, { force: true });
    return true;
  }
}
