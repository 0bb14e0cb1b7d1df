/**
 * The chaos suite's short variant (issue #8) inside `npm test`: 50,000 events, 5 faults, a fixed seed.
 * It runs as its own process (`npm run chaos`) because it brings up and restarts a stack of its own
 * (ports 29092-29094, 28081, 25432; folder .stack/chaos), never the shared one the other tests use:
 * the endpoints this test run was given are removed from its environment.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { findRepoRoot } from '@pipeline/stack';

const SHORT = ['--events', '50000', '--faults', '5', '--seed', '12'];

function runChaosProcess(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  const repoRoot = findRepoRoot();
  const env: NodeJS.ProcessEnv = { ...process.env, TS_NODE_PROJECT: 'tsconfig.base.json' };
  for (const name of ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'DATABASE_URL']) delete env[name];
  const child = spawn(process.execPath, ['-r', '@swc-node/register', '-r', 'tsconfig-paths/register', join('apps', 'pipeline-e2e', 'src', 'chaos', 'chaos.ts'), ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    process.stdout.write(chunk);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, output })));
}

/**
 * What failed, first: a runner that shows only the head and tail of a long failure still shows which table, topic
 * or identity differs and how (the report's lines marked MISMATCH or FAILED, its "what differs" and "problems").
 */
function verdictOf(output: string): string {
  const lines = output.split('\n');
  const details = lines.findIndex((line) => / what differs$|^problems:$/.test(line));
  const marked = lines.filter((line) => line.includes('MISMATCH') || line.includes('| FAILED |') || line.startsWith('chaos: '));
  return [...marked, ...(details >= 0 ? lines.slice(details, details + 40) : [])].join('\n');
}

describe('chaos suite, short variant', () => {
  it('lands exactly the reference in every domain under kill -9, SIGSTOP, broker and PostgreSQL restarts', async () => {
    const { code, output } = await runChaosProcess(SHORT);
    if (code !== 0) throw new Error(`npm run chaos -- ${SHORT.join(' ')} exited with ${code}: ${verdictOf(output)}\n\n${output.split('\n').slice(-80).join('\n')}`);
    expect(output).toContain('PASSED');
  }, 30 * 60_000);
});
