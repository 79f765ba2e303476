/** End-to-end against a real Docker engine: one suite, in order, with generous time for image builds. */
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'loa-e2e',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.e2e.spec.ts'],
  testTimeout: 600000,
  maxWorkers: 1,
};
