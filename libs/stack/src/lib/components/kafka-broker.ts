import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKafkaClient, kafkaRoundTrip, logLevel, type KafkaCluster } from '@pipeline/kafka';
import { LOCAL_KAFKA_SASL_USER, type StackSettings } from '../stack-settings';
import { ComponentStartError } from '../errors';
import { ownedLivePid, portAnswers, runToCompletion, startDetached, stopOwnedProcess, waitUntil } from '../processes';
import type { JavaDistributions } from './java-distributions';
import type { LocalComponent } from './component';
import { ensureTlsMaterial } from './tls-material';

/** The SASL_SSL listener's endpoint as tests and apps take it (written to stack.env). */
export interface SaslSslEndpoint {
  KAFKA_SASL_SSL_BROKERS: string;
  KAFKA_SASL_SSL_CA_FILE: string;
  KAFKA_SASL_SSL_USERNAME: string;
  KAFKA_SASL_SSL_PASSWORD: string;
}

const SCRAM_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

/** Apache Kafka in KRaft mode: one node that is both broker and controller. */
export class KafkaBroker implements LocalComponent {
  readonly name = 'kafka' as const;
  readonly logFile: string;
  private readonly pidFile: string;
  private readonly configFile: string;
  private readonly dataDir: string;
  /** Written once the SCRAM user exists in this data directory. */
  private readonly scramMarker: string;

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
    this.scramMarker = join(this.dataDir, 'scram-users-added');
  }

  /** The SASL_SSL listener (always on: its certificate is made once, its user at format time). */
  saslSslEndpoint(): SaslSslEndpoint {
    return {
      KAFKA_SASL_SSL_BROKERS: `127.0.0.1:${this.settings.kafkaSaslSslPort}`,
      KAFKA_SASL_SSL_CA_FILE: join(this.settings.stackDir, 'tls', 'ca.pem'),
      KAFKA_SASL_SSL_USERNAME: LOCAL_KAFKA_SASL_USER.username,
      KAFKA_SASL_SSL_PASSWORD: LOCAL_KAFKA_SASL_USER.password,
    };
  }

  endpoint(): string {
    return `127.0.0.1:${this.settings.kafkaPort}`;
  }

  runningPid(): number | undefined {
    return ownedLivePid(this.pidFile, this.configFile);
  }

  async portTakenByOther(): Promise<boolean> {
    return this.runningPid() === undefined && ((await portAnswers(this.settings.kafkaPort)) || (await portAnswers(this.settings.kafkaSaslSslPort)));
  }

  async start(): Promise<void> {
    const { kafkaClasspath } = this.distributions();
    mkdirSync(join(this.settings.stackDir, 'config'), { recursive: true });
    writeFileSync(this.configFile, this.serverProperties());
    if (!existsSync(join(this.dataDir, 'meta.properties'))) {
      mkdirSync(this.dataDir, { recursive: true });
      // Passed as --cluster-id=<id>: a random id may begin with "-", which the tool would read as an option.
      const clusterId = randomBytes(16).toString('base64url');
      const { username, password } = LOCAL_KAFKA_SASL_USER;
      const scram = SCRAM_MECHANISMS.flatMap((mechanism) => ['--add-scram', `${mechanism}=[name=${username},password=${password}]`]);
      runToCompletion(this.java(), ['-cp', kafkaClasspath, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', this.configFile, ...scram]);
      writeFileSync(this.scramMarker, `${username}\n`);
    }
    startDetached(this.java(), ['-Xms256m', '-Xmx768m', '-cp', kafkaClasspath, 'kafka.Kafka', this.configFile], {
      cwd: this.settings.stackDir,
      logFile: this.logFile,
      pidFile: this.pidFile,
    });
  }

  async waitReady(timeoutMs: number): Promise<void> {
    if (existsSync(this.configFile) && !readFileSync(this.configFile, 'utf8').includes(`SASL_SSL://127.0.0.1:${this.settings.kafkaSaslSslPort}`)) {
      throw new ComponentStartError('kafka', `the running broker was started by an older stack, without the SASL_SSL listener on port ${this.settings.kafkaSaslSslPort}: restart it (npm run stack:down && npm run stack:up)`, this.logFile);
    }
    await this.waitForRoundTrip({ brokers: [this.endpoint()] }, this.settings.kafkaPort, timeoutMs);
    if (!existsSync(this.scramMarker)) this.addScramUser();
    const secured = this.saslSslEndpoint();
    await this.waitForRoundTrip(
      {
        brokers: [secured.KAFKA_SASL_SSL_BROKERS],
        security: { protocol: 'SASL_SSL', sasl: { mechanism: 'SCRAM-SHA-512', username: secured.KAFKA_SASL_SSL_USERNAME, password: secured.KAFKA_SASL_SSL_PASSWORD }, tls: { caFile: secured.KAFKA_SASL_SSL_CA_FILE } },
      },
      this.settings.kafkaSaslSslPort,
      timeoutMs,
    );
  }

  private async waitForRoundTrip(cluster: KafkaCluster, port: number, timeoutMs: number): Promise<void> {
    const kafka = createKafkaClient({ ...cluster, clientId: 'stack-readiness' }, { retry: { retries: 0 }, logLevel: logLevel.NOTHING });
    const { ready, lastError } = await waitUntil(async () => {
      if (this.runningPid() === undefined) throw new Error('the broker process exited');
      if (!(await portAnswers(port))) return false;
      await kafkaRoundTrip(kafka, 10000);
      return true;
    }, timeoutMs);
    if (!ready) throw new ComponentStartError('kafka', `${cluster.brokers.join(',')}: ${lastError ?? `no round trip within ${timeoutMs} ms`}`, this.logFile);
  }

  /** A data directory formatted before the SASL_SSL listener existed gets its SCRAM user once, through the plain listener. */
  private addScramUser(): void {
    const { username, password } = LOCAL_KAFKA_SASL_USER;
    const source = join(this.settings.repoRoot, 'deploy', 'stack', 'ScramUsers.java');
    runToCompletion(this.java(), ['-cp', this.distributions().kafkaClasspath, source, this.endpoint(), username, password]);
    writeFileSync(this.scramMarker, `${username}\n`);
  }

  async stop(): Promise<void> {
    await stopOwnedProcess(this.pidFile, this.configFile);
  }

  private serverProperties(): string {
    const { kafkaPort, kafkaControllerPort, kafkaSaslSslPort } = this.settings;
    const tls = ensureTlsMaterial(this.settings.stackDir);
    return [
      '# Written by libs/stack on every start; edit stack-settings instead.',
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${kafkaControllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${kafkaPort},CONTROLLER://127.0.0.1:${kafkaControllerPort},SASL_SSL://127.0.0.1:${kafkaSaslSslPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${kafkaPort},SASL_SSL://127.0.0.1:${kafkaSaslSslPort}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL',
      // The secured listener: what a SASL_SSL cluster (Confluent Cloud, MSK, Aiven) asks of a client.
      'listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN',
      ...SCRAM_MECHANISMS.map((mechanism) => `listener.name.sasl_ssl.${mechanism.toLowerCase()}.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`),
      `listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${LOCAL_KAFKA_SASL_USER.username}="${LOCAL_KAFKA_SASL_USER.password}";`,
      'listener.name.sasl_ssl.ssl.keystore.type=PEM',
      `listener.name.sasl_ssl.ssl.keystore.location=${tls.keystoreFile}`,
      'listener.name.sasl_ssl.ssl.client.auth=none',
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
