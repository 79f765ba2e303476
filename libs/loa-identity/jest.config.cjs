/** The service runs through Node's type stripping; its tests through the shared SWC preset. */
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'loa-identity',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
