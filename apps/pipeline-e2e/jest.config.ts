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
  // The chaos suite's short variant stays out of `npm test` while a finding is open: after the fixes of issue #8
  // seed 12 passes, but `--events 20000 --faults 3 --seed 7 --kinds restart-kafka,pause-aggregator` still commits
  // outputs twice (README, Chaos suite). Run it with `npm run chaos -- --events 50000 --faults 5 --seed 12` or
  // `npx jest -c apps/pipeline-e2e/jest.config.ts --testPathIgnorePatterns=/node_modules/ chaos`.
  testPathIgnorePatterns: ['/node_modules/', '/src/chaos/'],
};
