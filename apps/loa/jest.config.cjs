module.exports = {
  displayName: 'loa',
  testEnvironment: 'node',
  rootDir: __dirname,
  testMatch: ['<rootDir>/cloudflare/src/**/*.spec.ts', '<rootDir>/tests/**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  testTimeout: 120000,
  maxWorkers: 1,
};
