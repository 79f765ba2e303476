module.exports = {
  displayName: 'plugin',
  testEnvironment: 'node',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  // Real processes and servers: give a slow CI machine room, and never run two heavy suites at once.
  testTimeout: 60000,
  maxWorkers: 1,
};
