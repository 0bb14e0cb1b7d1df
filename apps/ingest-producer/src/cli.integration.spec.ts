/** The command line against the real broker and registry: bounded jobs that exit with a reconciled summary. */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createKafkaClient, parseBrokerList } from '@pipeline/kafka';
import { runCli } from './cli';

/** Collects what the command writes; not a terminal, so progress comes as plain lines. */
function capture(): NodeJS.WriteStream & { text: () => string } {
  const chunks: string[] = [];
  return Object.assign(Object.create(process.stdout) as NodeJS.WriteStream, { isTTY: false, write: (chunk: string) => chunks.push(chunk) > 0, text: () => chunks.join('') });
}

describe('ingest-producer command line (real broker and registry)', () => {
  const runId = randomUUID().slice(0, 8);
  const topics = [`clickstream.events-cli-${runId}`, `transit.turnstile-events-cli-${runId}`, `pipeline.dead-letter-cli-${runId}`];
  const [clickTopic, transitTopic, deadLetters] = topics as [string, string, string];

  afterAll(async () => {
    const admin = createKafkaClient({ brokers: parseBrokerList(process.env['KAFKA_BROKERS'] ?? ''), clientId: `cli-it-${runId}` }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).finally(() => admin.disconnect());
  });

  it('replays the sample CSV and exits 0 with the reconciled summary', async () => {
    const [out, err] = [capture(), capture()];
    const sample = join(__dirname, '../../../libs/ingest/sample/clickstream-sample.csv');
    const code = await runCli(['replay', '--file', sample, '--topic', clickTopic, '--dead-letter-topic', deadLetters, '--heartbeat-ms', '200'], { out, err });
    expect({ code, err: err.text() }).toMatchObject({ code: 0 });
    expect(out.text()).toContain('counts        reconciled: 400 read = 390 produced + 10 dead-lettered');
    expect(out.text()).toContain('the last at END_OF_INPUT');
    expect(err.text()).toContain(`${sample} → ${clickTopic} · 400 read · 390 produced · 10 dead-lettered`);
  });

  it('generates N seeded events and exits 0; bad arguments exit 2 with the problems and the usage', async () => {
    const [out, err] = [capture(), capture()];
    const code = await runCli(['generate', '--domain', 'transit', '--count', '250', '--pace', 'asap', '--topic', transitTopic, '--dead-letter-topic', deadLetters], { out, err });
    expect({ code, err: err.text() }).toMatchObject({ code: 0 });
    expect(out.text()).toContain('reconciled: 250 read = 250 produced + 0 dead-lettered');

    const [badOut, badErr] = [capture(), capture()];
    expect(await runCli(['generate', '--domain', 'weather'], { out: badOut, err: badErr })).toBe(2);
    expect(badErr.text()).toMatch(/--domain: must be one of[\s\S]*--count: [\s\S]*replay {3}--file <csv>/);
  });
});
