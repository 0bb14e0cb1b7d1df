export default {
  displayName: 'pipeline-e2e',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js'],
  // The built services run against the real broker, registry and database.
  globalSetup: '<rootDir>/../../libs/stack/src/jest/global-setup.ts',
  globalTeardown: '<rootDir>/../../libs/stack/src/jest/global-teardown.ts',
  testTimeout: 300000,
  // One domain at a time: each test runs three services on a 2-core machine.
  maxWorkers: 1,
};
