/**
 * The local stack's one entry point:  npm run stack:up | stack:down | stack:status | stack:env
 * Runs from source (node -r @swc-node/register), so it works right after `npm ci`.
 */
import { redactCredentials } from '@pipeline/config';
import { ENDPOINT_NAMES } from './lib/endpoints';
import { MissingPrerequisiteError } from './lib/errors';
import { LocalStack } from './lib/local-stack';
import { bringDownStack, bringUpStack, envFilePath, readStackEnvFile } from './lib/resolve-stack';
import { stackSettings } from './lib/stack-settings';

async function main(command: string | undefined): Promise<void> {
  switch (command) {
    case 'up': {
      const startedAt = Date.now();
      const stack = await bringUpStack();
      for (const name of ENDPOINT_NAMES) console.log(`${name}=${redactCredentials(stack.endpoints[name])}  (${stack.sources[name]})`);
      const what = stack.started.length > 0 ? `started ${stack.started.join(', ')}` : 'nothing to start';
      console.log(`stack ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (${what}); endpoints written to ${stack.envFile}`);
      return;
    }
    case 'down': {
      const stopped = await bringDownStack();
      console.log(stopped.length > 0 ? `stopped ${stopped.join(', ')}` : 'nothing of the stack was running');
      return;
    }
    case 'status': {
      const local = new LocalStack(stackSettings(), true);
      for (const component of local.status()) {
        const state = component.pid === undefined ? 'stopped' : `running (pid ${component.pid})`;
        console.log(`${component.name.padEnd(9)} ${state.padEnd(22)} ${redactCredentials(component.endpoint)}  log: ${component.logFile}`);
      }
      const secured = local.saslSslEndpoint();
      console.log(`kafka SASL_SSL listener ${secured.KAFKA_SASL_SSL_BROKERS} (SCRAM-SHA-256/512, PLAIN as "${secured.KAFKA_SASL_SSL_USERNAME}"; CA ${secured.KAFKA_SASL_SSL_CA_FILE})`);
      return;
    }
    case 'env': {
      const endpoints = readStackEnvFile();
      if (Object.keys(endpoints).length === 0) throw new Error(`no ${envFilePath()} yet: run npm run stack:up first`);
      for (const [name, value] of Object.entries(endpoints)) console.log(`export ${name}=${value}`);
      return;
    }
    default:
      throw new Error(`usage: stack <up|down|status|env> (got "${command ?? ''}")`);
  }
}

main(process.argv[2]).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(error instanceof MissingPrerequisiteError ? `missing prerequisite: ${message}` : `stack: ${message}`);
  process.exit(1);
});
