module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'loa-checks',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.spec.ts'],
  testTimeout: 120000,
  // affected.spec runs nx on a copy of the workspace: one at a time on a shared 2-core machine.
  maxWorkers: 1,
};
