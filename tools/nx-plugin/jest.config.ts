export default {
  displayName: 'nx-plugin',
  // The generator's integration spec runs the generated e2e test against the real stack.
  preset: '../../libs/stack/jest-stack.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js'],
  // Templates (files/**/*.template) are not tests.
  testPathIgnorePatterns: ['/node_modules/', '/files/'],
  coverageDirectory: '../../coverage/tools/nx-plugin',
};
