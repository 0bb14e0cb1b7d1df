import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INGEST_PRODUCER_NODE_FLAGS, SERVICES } from './services';

const REPO_ROOT = join(__dirname, '../../../..');
const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const flags = INGEST_PRODUCER_NODE_FLAGS.join(' ');

// Node's flags cannot be a validated setting (V8 sizes its heap before any code runs): every launcher of the
// ingest-producer repeats them, and this holds each to the one list.
describe("the ingest-producer's Node flags", () => {
  it('are the ones the local stack launches it with', () => {
    expect(SERVICES.find((service) => service.name === 'ingest-producer')?.nodeFlags).toEqual(INGEST_PRODUCER_NODE_FLAGS);
  });

  it('are in its Docker image command, for that app only', () => {
    expect(read('deploy/docker/Dockerfile')).toContain(`ingest-producer) echo "${flags}" ;; *) echo "" ;;`);
  });

  it('are in `npm run ingest` and the replay bench', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['ingest']).toContain(`node ${flags} `);
    const bench = (JSON.parse(read('libs/ingest/project.json')) as { targets: Record<string, { options: { command: string } }> }).targets['bench'];
    expect(bench?.options.command).toBe(`node ${flags} dist/libs/ingest/bench/main.js`);
  });
});
