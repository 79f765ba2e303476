module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'loa',
  rootDir: __dirname,
  testMatch: ['<rootDir>/cloudflare/src/**/*.spec.ts', '<rootDir>/tests/**/*.spec.ts'],
  testTimeout: 120000,
  maxWorkers: 1,
};
