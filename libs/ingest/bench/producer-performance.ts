import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { stackSettings } from '@pipeline/stack';

/** A failure of Kafka's ProducerPerformance run (missing JDK or Maven, a run that printed no result). */
export class ProducerPerformanceError extends Error {
  readonly retriable = false;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ProducerPerformanceError';
  }
}

const hasToolsJar = (dir: string) => existsSync(dir) && readdirSync(dir).some((name) => /^kafka-tools-\d.*\.jar$/.test(name));

/**
 * The classpath of Kafka's tools jar (ProducerPerformance), same version as the broker:
 * KAFKA_TOOLS_CLASSPATH if set; else the stack's Kafka libs when they hold kafka-tools (stacks
 * resolved since deploy/stack/pom.xml lists it); else Maven copies the pom's dependencies into
 * .stack/tools (a stack already running keeps its files untouched).
 */
export function kafkaToolsClasspath(env: NodeJS.ProcessEnv = process.env): string {
  const preset = env['KAFKA_TOOLS_CLASSPATH'];
  if (preset) return preset;
  const settings = stackSettings(env);
  const distRoot = join(settings.stackDir, 'dist');
  const stackLibs = existsSync(distRoot) ? readdirSync(distRoot).filter((name) => name.startsWith('kafka-')).map((name) => join(distRoot, name, 'libs')) : [];
  const withTools = stackLibs.find(hasToolsJar);
  if (withTools) return `${withTools}/*`;
  const toolsLibs = join(settings.stackDir, 'tools', 'kafka', 'libs');
  if (!hasToolsJar(toolsLibs)) {
    mkdirSync(toolsLibs, { recursive: true });
    process.stdout.write(`resolving kafka-tools from Maven Central into ${toolsLibs}...\n`);
    const pom = join(settings.repoRoot, 'deploy', 'stack', 'pom.xml');
    const result = spawnSync('mvn', ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${toolsLibs}`], { encoding: 'utf8' });
    if (result.error || result.status !== 0) throw new ProducerPerformanceError(`mvn could not resolve kafka-tools (${result.error?.message ?? `exit ${result.status}`}): ${result.stdout}${result.stderr}`.trim());
  }
  return `${toolsLibs}/*`;
}

export interface ProducerPerformanceRun {
  topic: string;
  records: number;
  recordSize: number;
  brokers: string;
  classpath: string;
}

export interface ProducerPerformanceResult {
  recordsPerSecond: number;
  mibPerSecond: number;
  line: string;
}

/**
 * Runs Kafka's own producer benchmark (acks=all, idempotent, as fast as it can) and parses its
 * summary line: "N records sent, X records/sec (Y MB/sec), ...".
 */
export async function runProducerPerformance(run: ProducerPerformanceRun): Promise<ProducerPerformanceResult> {
  const java = process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin', 'java') : 'java';
  const args = ['-Xmx256m', '-cp', run.classpath, 'org.apache.kafka.tools.ProducerPerformance', '--topic', run.topic, '--num-records', String(run.records), '--record-size', String(run.recordSize), '--throughput', '-1'];
  args.push('--producer-props', `bootstrap.servers=${run.brokers}`, 'acks=all', 'enable.idempotence=true');
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(java, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.once('error', (error) => reject(new ProducerPerformanceError(`cannot start ${java}: ${error.message}`, { cause: error })));
    child.once('close', (code) => (code === 0 ? resolve(text) : reject(new ProducerPerformanceError(`ProducerPerformance exited with ${code}: ${text.slice(-2000)}`))));
  });
  const line = output.split('\n').find((candidate) => new RegExp(`^${run.records} records sent`).test(candidate.trim()));
  const match = line ? /([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/.exec(line) : null;
  if (!line || !match) throw new ProducerPerformanceError(`ProducerPerformance printed no summary line: ${output.slice(-2000)}`);
  return { recordsPerSecond: Number(match[1]), mibPerSecond: Number(match[2]), line: line.trim() };
}
