export default {
  displayName: 'pipeline-e2e',
  preset: '../../libs/stack/jest-stack.preset.js', // real stack for the integration tests
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js'],
  testTimeout: 300000,
  // One domain at a time: each test runs three services on a 2-core machine.
  maxWorkers: 1,
  // The chaos suite's short variant (src/chaos/chaos.e2e.spec.ts, seed 12) runs here too, on a stack of its own.
};
