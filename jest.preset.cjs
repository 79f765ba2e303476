/**
 * Shared by every project's jest.config.cjs. The tests run as the ES modules that ship (Jest's ESM mode,
 * started with `node --experimental-vm-modules`, as each test target does): chokidar and execa are
 * ESM-only, and `import.meta` must mean what it means under Node. SWC strips the types and keeps the
 * imports as they are (`.ts` paths, `with { type: 'json' }`). In ESM mode the `jest` object is not a
 * global: import it from '@jest/globals'.
 */
module.exports = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' }, experimental: { keepImportAttributes: true } }, module: { type: 'es6' } }],
  },
  transformIgnorePatterns: ['/node_modules/'],
};
