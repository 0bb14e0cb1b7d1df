import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKafkaClient, kafkaRoundTrip, logLevel } from '@pipeline/kafka';
import type { StackSettings } from '../stack-settings';
import { ComponentStartError } from '../errors';
import { ownedLivePid, portAnswers, runToCompletion, startDetached, stopOwnedProcess, waitUntil } from '../processes';
import type { JavaDistributions } from './java-distributions';
import type { LocalComponent } from './component';

/** Apache Kafka in KRaft mode: one node that is both broker and controller. */
export class KafkaBroker implements LocalComponent {
  readonly name = 'kafka' as const;
  readonly logFile: string;
  private readonly pidFile: string;
  private readonly configFile: string;
  private readonly dataDir: string;

  constructor(
    private readonly settings: StackSettings,
    /** Resolved on start only, so status and down work without a JDK. */
    private readonly java: () => string,
    private readonly distributions: () => JavaDistributions,
  ) {
    this.logFile = join(settings.stackDir, 'logs', 'kafka.log');
    this.pidFile = join(settings.stackDir, 'run', 'kafka.pid');
    this.configFile = join(settings.stackDir, 'config', 'kafka.properties');
    this.dataDir = join(settings.stackDir, 'data', 'kafka');
  }

  endpoint(): string {
    return `127.0.0.1:${this.settings.kafkaPort}`;
  }

  runningPid(): number | undefined {
    return ownedLivePid(this.pidFile, this.configFile);
  }

  async portTakenByOther(): Promise<boolean> {
    return this.runningPid() === undefined && (await portAnswers(this.settings.kafkaPort));
  }

  async start(): Promise<void> {
    const { kafkaClasspath } = this.distributions();
    mkdirSync(join(this.settings.stackDir, 'config'), { recursive: true });
    writeFileSync(this.configFile, this.serverProperties());
    if (!existsSync(join(this.dataDir, 'meta.properties'))) {
      mkdirSync(this.dataDir, { recursive: true });
      // Passed as --cluster-id=<id>: a random id may begin with "-", which the tool would read as an option.
      const clusterId = randomBytes(16).toString('base64url');
      runToCompletion(this.java(), ['-cp', kafkaClasspath, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', this.configFile]);
    }
    startDetached(this.java(), ['-Xms256m', '-Xmx768m', '-cp', kafkaClasspath, 'kafka.Kafka', this.configFile], {
      cwd: this.settings.stackDir,
      logFile: this.logFile,
      pidFile: this.pidFile,
    });
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const kafka = createKafkaClient({ brokers: [this.endpoint()], clientId: 'stack-readiness' }, { retry: { retries: 0 }, logLevel: logLevel.NOTHING });
    const { ready, lastError } = await waitUntil(async () => {
      if (this.runningPid() === undefined) throw new Error('the broker process exited');
      if (!(await portAnswers(this.settings.kafkaPort))) return false;
      await kafkaRoundTrip(kafka, 10000);
      return true;
    }, timeoutMs);
    if (!ready) throw new ComponentStartError('kafka', lastError ?? `no round trip within ${timeoutMs} ms`, this.logFile);
  }

  async stop(): Promise<void> {
    await stopOwnedProcess(this.pidFile, this.configFile);
  }

  private serverProperties(): string {
    const { kafkaPort, kafkaControllerPort } = this.settings;
    return [
      '# Written by libs/stack on every start; edit stack-settings instead.',
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${kafkaControllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${kafkaPort},CONTROLLER://127.0.0.1:${kafkaControllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${kafkaPort}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${this.dataDir}`,
      // A single node can only hold one replica of each internal topic.
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'default.replication.factor=1',
      'group.initial.rebalance.delay.ms=0',
      // Topics are created explicitly with the partition counts their contracts declare.
      'auto.create.topics.enable=false',
      'num.partitions=3',
      '',
    ].join('\n');
  }
}
