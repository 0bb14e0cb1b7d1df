/**
 * The main job (npm start): brings the stack up, builds and starts the three services,
 * feeds them the bundled sample (the clickstream CSV, replayed in a loop) and live
 * generators (IoT sensors, transit turnstiles), and shows the warehouse as it fills.
 * `--once` stops as soon as warehouse rows are there (for checks).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadEnvironment, type RawEnvironment } from '@pipeline/config';
import { bringUpStack } from './lib/resolve-stack';
import { stackSettings } from './lib/stack-settings';
import { SERVICES, fetchHealth, startService, stopService, waitHealthy, type RunningService } from './lib/services';
import { renderLiveView } from './lib/live-view';
import { sleep } from './lib/processes';

const HEALTH_TIMEOUT_MS = 60000;
const REFRESH_MS = 5000;
const ROWS_TIMEOUT_MS = 120000;

function healthLines(rows: { name: string; httpPort: number; status: string; dependencies: Record<string, string> }[]): string {
  return rows
    .map((row) => {
      const deps = Object.entries(row.dependencies).map(([name, state]) => `${name}=${state}`).join(' ');
      return `  ${row.name.padEnd(18)} ${row.status.padEnd(11)} http://127.0.0.1:${row.httpPort}/health  ${deps}`;
    })
    .join('\n');
}

/**
 * The sample is historic data replayed from its own timestamps, so every launch gets its
 * own topic namespace: a fresh event-time clock, nothing late because of an earlier run.
 * Warehouse rows land in the default schema, keyed so a replay overwrites.
 */
function demoEnvironment(repoRoot: string, env: RawEnvironment): NodeJS.ProcessEnv {
  const launch = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const namespace = env['PIPELINE_TOPIC_NAMESPACE'] ?? `demo-${launch}.`;
  return {
    PIPELINE_TOPIC_NAMESPACE: namespace,
    WAREHOUSE_SINK_GROUP_ID: `${namespace}warehouse-sink`,
    INGEST_CSV_FILE: join(repoRoot, 'libs', 'ingest', 'sample', 'clickstream-sample.csv'),
    INGEST_CSV_DOMAIN: 'clickstream',
    INGEST_LOOP: 'true',
    INGEST_GENERATORS: 'iot,transit',
  };
}

async function main(): Promise<void> {
  const once = process.argv.includes('--once');
  // What the services will see too (process env, .env, the stack's endpoints): the one loader of libs/config.
  const env = loadEnvironment();
  const settings = stackSettings();
  const stack = await bringUpStack();
  console.log(`stack ready: ${Object.entries(stack.endpoints).map(([name, value]) => `${name}=${value}`).join('  ')}`);

  console.log('building the services (nx build)...');
  // TS_NODE_PROJECT points this script at tsconfig.base.json; webpack must not inherit it.
  const buildEnv = { ...process.env };
  delete buildEnv['TS_NODE_PROJECT'];
  const build = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '--projects', SERVICES.map((service) => service.name).join(','), '--outputStyle=static'], {
    cwd: settings.repoRoot,
    env: buildEnv,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`building the services failed:\n${build.stdout}${build.stderr}`);

  const demo = demoEnvironment(settings.repoRoot, env);
  console.log(`topic namespace of this run: ${demo['PIPELINE_TOPIC_NAMESPACE']}`);
  // Sink first (it creates the tables), the aggregator next, the sources last.
  const order = ['warehouse-sink', 'stream-aggregator', 'ingest-producer'] as const;
  const running: RunningService[] = [];
  const shutdown = async (code: number) => {
    await Promise.all(running.map((service) => stopService(service)));
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));

  for (const name of order) {
    const definition = SERVICES.find((service) => service.name === name);
    if (!definition) throw new Error(`unknown service ${name}`);
    const service = startService(settings, definition, stack.endpoints, demo);
    running.push(service);
    const report = await waitHealthy(service, HEALTH_TIMEOUT_MS);
    if (report.status !== 'ok') {
      console.error(`${name} is not healthy (${JSON.stringify(report.dependencies)}); log: ${service.logFile}`);
      return shutdown(1);
    }
  }
  const startedAt = Date.now();
  console.log(`services up; logs in ${settings.stackDir}/logs. ${once ? '' : 'Ctrl-C stops the services (npm run stack:down stops the stack).'}`);

  for (;;) {
    const health = await Promise.all(running.map((service) => fetchHealth(service.httpPort)));
    const view = await renderLiveView(stack.endpoints.DATABASE_URL, env['WAREHOUSE_SCHEMA'] ?? 'public');
    const elapsed = ((Date.now() - startedAt) / 1000).toFixed(0);
    const screen = `${new Date().toISOString()}  (${elapsed} s since the services started)\n${healthLines(running.map((service, index) => ({ ...service, ...(health[index] ?? { status: 'unreachable', dependencies: {} }) })))}\n\n${view.text}\n`;
    // Redraw in place on a terminal; plain appended snapshots in a log.
    process.stdout.write(process.stdout.isTTY && !once ? `\x1b[2J\x1b[H${screen}` : `${screen}\n`);
    if (once && view.rows > 0) {
      console.log(`warehouse rows landed ${elapsed} s after the services started`);
      return shutdown(0);
    }
    if (once && Date.now() - startedAt > ROWS_TIMEOUT_MS) {
      console.error('no warehouse rows after 2 minutes: see the service logs');
      return shutdown(1);
    }
    await sleep(once ? 1000 : REFRESH_MS);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
