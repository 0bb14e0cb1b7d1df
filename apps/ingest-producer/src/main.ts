import 'reflect-metadata';
import { isCliCommand, runCli } from './cli';

const argv = process.argv.slice(2);
if (isCliCommand(argv)) {
  void runCli(argv).then((code) => process.exit(code));
} else {
  // Imported only for the service: its module starts validating the service environment when loaded.
  void import('./server')
    .then(({ startServer }) => startServer())
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
