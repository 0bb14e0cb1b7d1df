export default {
  displayName: 'aggregator',
  preset: '../../libs/stack/jest-stack.preset.js', // real stack for the integration tests
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  coverageDirectory: '../../coverage/libs/aggregator',
};
