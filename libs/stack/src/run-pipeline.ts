/**
 * The main job (npm start): brings the stack up, builds and starts the three
 * services, and shows each one's health until Ctrl-C. `--once` stops after the
 * first healthy report (used by CI-like checks).
 */
import { spawnSync } from 'node:child_process';
import { bringUpStack } from './lib/resolve-stack';
import { stackSettings } from './lib/stack-settings';
import { SERVICES, fetchHealth, startService, stopService, waitHealthy, type RunningService } from './lib/services';
import { sleep } from './lib/processes';

const HEALTH_TIMEOUT_MS = 60000;

function printHealth(rows: { name: string; httpPort: number; status: string; dependencies: Record<string, string> }[]): void {
  console.log(`\n${new Date().toISOString()}`);
  for (const row of rows) {
    const deps = Object.entries(row.dependencies).map(([name, state]) => `${name}=${state}`).join(' ');
    console.log(`  ${row.name.padEnd(18)} ${row.status.padEnd(11)} http://127.0.0.1:${row.httpPort}/health  ${deps}`);
  }
}

async function main(): Promise<void> {
  const once = process.argv.includes('--once');
  const settings = stackSettings();
  const stack = await bringUpStack();
  console.log(`stack ready: ${Object.entries(stack.endpoints).map(([name, value]) => `${name}=${value}`).join('  ')}`);

  console.log('building the services (nx build)...');
  // TS_NODE_PROJECT points this script at tsconfig.base.json; webpack must not inherit it.
  const { TS_NODE_PROJECT: _ownTsConfig, ...buildEnv } = process.env;
  const build = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '--projects', SERVICES.map((service) => service.name).join(','), '--outputStyle=static'], {
    cwd: settings.repoRoot,
    env: buildEnv,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`building the services failed:\n${build.stdout}${build.stderr}`);

  const running: RunningService[] = SERVICES.map((service) => startService(settings, service, stack.endpoints));
  const shutdown = async (code: number) => {
    await Promise.all(running.map((service) => stopService(service)));
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));

  const reports = await Promise.all(running.map((service) => waitHealthy(service, HEALTH_TIMEOUT_MS)));
  printHealth(running.map((service, index) => ({ ...service, ...(reports[index] ?? { status: 'unreachable', dependencies: {} }) })));
  const unhealthy = running.filter((_, index) => reports[index]?.status !== 'ok');
  if (unhealthy.length > 0) {
    console.error(`not healthy: ${unhealthy.map((service) => `${service.name} (log: ${service.logFile})`).join(', ')}`);
    return shutdown(1);
  }
  console.log(`all services healthy; logs in ${settings.stackDir}/logs.${once ? '' : ' Ctrl-C stops the services (npm run stack:down stops the stack).'}`);
  if (once) return shutdown(0);
  for (;;) {
    await sleep(15000);
    const current = await Promise.all(running.map((service) => fetchHealth(service.httpPort)));
    printHealth(running.map((service, index) => ({ ...service, ...(current[index] ?? { status: 'unreachable', dependencies: {} }) })));
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
