import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { StackSettings } from '../stack-settings';
import { requireMaven } from '../prerequisites';
import { runToCompletion } from '../processes';

export interface JavaDistributions {
  kafkaVersion: string;
  kafkaClasspath: string;
  apicurioVersion: string;
  apicurioJar: string;
}

const POM = 'deploy/stack/pom.xml';

/** Versions are pinned once, in the pom; this reads them rather than repeating them. */
function pinnedVersion(pom: string, property: string): string {
  const version = new RegExp(`<${property}>([^<]+)</${property}>`).exec(pom)?.[1];
  if (!version) throw new Error(`${POM} does not pin <${property}>`);
  return version;
}

/** Locates the Kafka and Apicurio jars under the dist folder (.stack/dist), resolving them with Maven on first use. */
export function ensureJavaDistributions(settings: StackSettings): JavaDistributions {
  const pom = readFileSync(join(settings.repoRoot, POM), 'utf8');
  const kafkaVersion = pinnedVersion(pom, 'kafka.version');
  const apicurioVersion = pinnedVersion(pom, 'apicurio.version');
  const kafkaLibs = join(settings.distDir, `kafka-${kafkaVersion}`, 'libs');
  const apicurioJar = join(settings.distDir, `apicurio-${apicurioVersion}`, `apicurio-registry-app-${apicurioVersion}-runner.jar`);
  if (!existsSync(join(kafkaLibs, `kafka_2.13-${kafkaVersion}.jar`)) || !existsSync(apicurioJar)) {
    // The pom writes into <stack.dir>/dist.
    if (basename(settings.distDir) !== 'dist') throw new Error(`the jars are not in STACK_DIST_DIR=${settings.distDir}, and Maven can only fill a folder named "dist": point it at an existing one or at a folder named dist`);
    const mvn = requireMaven();
    process.stdout.write(`resolving Kafka ${kafkaVersion} and Apicurio Registry ${apicurioVersion} from Maven Central...\n`);
    runToCompletion(mvn, ['-q', '-B', '-f', join(settings.repoRoot, POM), 'generate-resources', `-Dstack.dir=${dirname(settings.distDir)}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }
  return { kafkaVersion, kafkaClasspath: `${kafkaLibs}/*`, apicurioVersion, apicurioJar };
}
