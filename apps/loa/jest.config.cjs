module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'loa',
  rootDir: __dirname,
  // apps/loa/tests is its own project (loa-checks).
  testMatch: ['<rootDir>/cloudflare/src/**/*.spec.ts'],
  testTimeout: 120000,
  maxWorkers: 1,
};
