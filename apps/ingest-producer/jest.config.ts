export default {
  displayName: 'ingest-producer',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  coverageDirectory: '../../coverage/apps/ingest-producer',
  // The integration test runs the command line and the webhook against the real broker and registry.
  globalSetup: '<rootDir>/../../libs/stack/src/jest/global-setup.ts',
  globalTeardown: '<rootDir>/../../libs/stack/src/jest/global-teardown.ts',
  testTimeout: 120000,
};
