/** End-to-end against a real Docker engine: one suite, in order, with generous time for image builds. */
module.exports = {
  displayName: 'loa-e2e',
  testEnvironment: 'node',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.e2e.spec.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  testTimeout: 600000,
  maxWorkers: 1,
};
