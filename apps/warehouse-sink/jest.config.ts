export default {
  displayName: 'warehouse-sink',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  coverageDirectory: '../../coverage/apps/warehouse-sink',
  // The boot test starts the service against the real broker, registry and database.
  globalSetup: '<rootDir>/../../libs/stack/src/jest/global-setup.ts',
  globalTeardown: '<rootDir>/../../libs/stack/src/jest/global-teardown.ts',
  testTimeout: 120000,
};
