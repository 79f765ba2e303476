module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'dev-engine',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  // Real processes and servers: give a slow CI machine room, and never run two heavy suites at once.
  testTimeout: 60000,
  maxWorkers: 1,
};
