export default {
  displayName: 'kafka',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  coverageDirectory: '../../coverage/libs/kafka',
  // Integration tests here talk to the real broker and registry.
  globalSetup: '<rootDir>/../stack/src/jest/global-setup.ts',
  globalTeardown: '<rootDir>/../stack/src/jest/global-teardown.ts',
  testTimeout: 120000,
};
