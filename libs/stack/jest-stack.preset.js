const { join } = require('path');
const nxPreset = require('@nx/jest/preset').default;

/**
 * Jest preset of projects whose tests talk to the real broker, registry and database:
 * the global setup provides KAFKA_BROKERS, SCHEMA_REGISTRY_URL and DATABASE_URL
 * (environment, else testcontainers with Docker, else the local stack).
 */
module.exports = {
  ...nxPreset,
  globalSetup: join(__dirname, 'src/jest/global-setup.ts'),
  globalTeardown: join(__dirname, 'src/jest/global-teardown.ts'),
  testTimeout: 120000,
};
