/**
 * The domain generator in a real copy of this workspace: `nx g` through the Nx CLI (so the local
 * plugin resolves the way a user's command does), then the result type-checks, the contracts and
 * pipelines specs pass, and the generated e2e test passes against the real stack.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const workspaceRoot = join(__dirname, '../../../../..');
const DOMAIN = 'air-quality';
const SERVICES = ['ingest-producer', 'stream-aggregator', 'warehouse-sink'];
/**
 * Every tsconfig the generated and edited files belong to. The e2e project's is narrowed to the
 * generated spec (its other specs are untouched and the largest program of all).
 */
const TSCONFIGS = ['libs/contracts/tsconfig.lib.json', 'libs/pipelines/tsconfig.lib.json', 'libs/ingest/tsconfig.lib.json', 'libs/warehouse/tsconfig.lib.json', 'apps/pipeline-e2e/tsconfig.generated.json'];

interface Run {
  command: string;
  code: number;
  output: string;
}

/** The parent's environment (the stack's endpoints) without what `nx test` and Jest set for themselves. */
function childEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('NX_') && !name.startsWith('JEST_')));
  return { ...env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0' };
}

function run(cwd: string, command: string, args: readonly string[]): Promise<Run> {
  const line = [command, ...args].join(' ');
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: childEnv(), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      // Where the minutes go, on a shared machine.
      process.stdout.write(`nx-plugin: ${line}: exit ${code} after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      resolve({ command: line, code, output: `${stdout}${stderr}` });
    });
  });
}

/** Fails with the command's output, so a broken template shows its compiler or test error. */
function expectSuccess(result: Run): void {
  if (result.code !== 0) throw new Error(`${result.command} exited with ${result.code}:\n${result.output.slice(-8000)}`);
}

async function sequentially(cwd: string, commands: readonly (readonly string[])[]): Promise<Run[]> {
  const results: Run[] = [];
  for (const [command, ...args] of commands) {
    if (command === undefined) continue;
    const result = await run(cwd, command, args);
    results.push(result);
    if (result.code !== 0) break;
  }
  return results;
}

/** The workspace's files as git sees them (tracked and new, not ignored): no node_modules, dist or .stack. */
async function copyWorkspace(target: string): Promise<void> {
  const listed = await run(workspaceRoot, 'git', ['ls-files', '-co', '--exclude-standard', '-z']);
  expectSuccess(listed);
  for (const file of listed.output.split('\0').filter((path) => path !== '' && existsSync(join(workspaceRoot, path)))) {
    mkdirSync(dirname(join(target, file)), { recursive: true });
    copyFileSync(join(workspaceRoot, file), join(target, file));
  }
  symlinkSync(join(workspaceRoot, 'node_modules'), join(target, 'node_modules'), 'dir');
}

/**
 * The e2e tests start dist/apps/<service>/main.js. Instead of three webpack builds (minutes on two
 * cores) each is a shim that runs the service's sources through swc, as `npm run ingest` does:
 * the same code, typed by the tsc runs above.
 */
function serviceShims(root: string): void {
  for (const service of SERVICES) {
    const dir = join(root, 'dist', 'apps', service);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'main.js'),
      [
        `const { join } = require('node:path');`,
        `const root = join(__dirname, '../../..');`,
        `process.env.TS_NODE_PROJECT = join(root, 'tsconfig.base.json');`,
        `require('@swc-node/register');`,
        `require('tsconfig-paths/register');`,
        `require(join(root, 'apps/${service}/src/main.ts'));`,
        '',
      ].join('\n'),
    );
  }
}

describe('nx g @pipeline/nx-plugin:domain in a copy of the workspace', () => {
  let root: string;
  /** Tests that got to their end: a failed run keeps its copy to look at, a passing one leaves nothing behind. */
  let passed = 0;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'nx-plugin-domain-'));
    await copyWorkspace(root);
  }, 120_000);
  afterAll(() => {
    if (passed < 2) process.stdout.write(`nx-plugin: the generated workspace is kept in ${root}\n`);
    else rmSync(root, { recursive: true, force: true });
  });

  it('lists the changes on --dry-run and writes nothing', async () => {
    const dryRun = await run(root, 'npx', ['nx', 'g', '@pipeline/nx-plugin:domain', DOMAIN, '--dry-run', '--no-interactive']);
    expectSuccess(dryRun);
    expect(dryRun.output).toContain(`CREATE libs/contracts/src/domains/${DOMAIN}.ts`);
    expect(dryRun.output).toContain('UPDATE libs/contracts/src/domains/catalog.ts');
    expect(existsSync(join(root, `libs/contracts/src/domains/${DOMAIN}.ts`))).toBe(false);
    passed += 1;
  }, 120_000);

  it('generates a domain that compiles, keeps the unit specs green and passes its own e2e test', async () => {
    const docsBefore = readFileSync(join(root, 'docs/warehouse.md'), 'utf8');
    const generated = await run(root, 'npx', ['nx', 'g', '@pipeline/nx-plugin:domain', DOMAIN, '--key-field=stationCode', '--window=5m', '--no-interactive']);
    expectSuccess(generated);
    expect(readFileSync(join(root, 'docs/warehouse.md'), 'utf8')).not.toBe(docsBefore);
    expect(readFileSync(join(root, 'docs/warehouse.md'), 'utf8')).toContain('### `air_quality_window_stats`');
    serviceShims(root);
    writeFileSync(join(root, 'apps/pipeline-e2e/tsconfig.generated.json'), JSON.stringify({ extends: './tsconfig.spec.json', include: [], files: [`src/${DOMAIN}.e2e.spec.ts`] }));

    // Two lanes on a two-core machine: the type checks, and the tests.
    const [typeChecks, tests] = await Promise.all([
      sequentially(
        root,
        TSCONFIGS.map((tsconfig) => ['npx', 'tsc', '-p', tsconfig, '--noEmit']),
      ),
      sequentially(root, [
        ['npx', 'jest', '--projects', 'libs/contracts/jest.config.ts', 'libs/pipelines/jest.config.ts'],
        ['npx', 'jest', '-c', 'apps/pipeline-e2e/jest.config.ts', `${DOMAIN}.e2e.spec.ts`],
      ]),
    ]);
    for (const result of [...typeChecks, ...tests]) expectSuccess(result);
    expect(typeChecks).toHaveLength(TSCONFIGS.length);
    expect(tests).toHaveLength(2);
    expect(tests[0]?.output).toMatch(/PASS contracts[\s\S]*PASS pipelines|PASS pipelines[\s\S]*PASS contracts/);
    expect(tests[1]?.output).toMatch(/Tests:\s+1 passed, 1 total/);
    passed += 1;
  }, 900_000);
});
