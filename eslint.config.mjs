// ESLint for the whole workspace (flat config). Nx infers a `lint` target for every project that has
// lintable files (the @nx/eslint/plugin entry in nx.json), so `nx run-many -t lint` and CI's
// `nx affected -t lint` run it. The rule that matters most here is @nx/enforce-module-boundaries: it keeps
// the deployment's dependencies (what `nx affected -t deploy` follows) to what is really deployed.
import nx from '@nx/eslint-plugin';

const depConstraints = [
  // The deployment (apps/loa) is built from the identity code and the content only: anything more
  // would make `nx affected -t deploy` deploy on a change that cannot change production.
  { sourceTag: 'scope:deployment', onlyDependOnLibsWithTags: ['scope:runtime', 'scope:content'] },
  // The identity service runs in the container beside .claude and grimoires, nothing else.
  { sourceTag: 'scope:runtime', onlyDependOnLibsWithTags: ['scope:runtime', 'scope:content'] },
  { sourceTag: 'scope:content', onlyDependOnLibsWithTags: ['scope:content'] },
  // The plugin and tools/ drive the workspace and measure the runtime (tools/bench); the deployment's
  // own code (scope:deployment) stays out of them.
  { sourceTag: 'scope:tooling', onlyDependOnLibsWithTags: ['scope:tooling', 'scope:runtime', 'scope:content'] },
  // End-to-end and workspace checks exercise everything.
  { sourceTag: 'scope:e2e', onlyDependOnLibsWithTags: ['scope:e2e', 'scope:deployment', 'scope:runtime', 'scope:content', 'scope:tooling'] },
];

/**
 * Nothing here is built or linked as a package: Node runs the TypeScript as it is (type stripping),
 * and it resolves a relative path or a package in node_modules, not a tsconfig path alias. So the few
 * imports across projects are relative, and each is declared below, for the files that need it, by an
 * exact pattern (the rule's `allow` takes a regular expression). Nx's graph already records them as
 * static dependencies, so `nx affected` follows them.
 */
const boundaries = (...allow) => ({
  '@nx/enforce-module-boundaries': ['error', { enforceBuildableLibDependency: false, allow, depConstraints }],
});
const TEST_HELPERS = '^(\\.\\./)+tools/testing/[\\w.-]+\\.ts$';
const PLUGIN_FIXTURES = '^(\\.\\./)+libs/(plugin|dev-engine)/src/testing/[\\w.-]+\\.ts$';
/** The plugin builds on the engine's public entry points (its tests may reach the modules they test). */
const ENGINE_ENTRY = '^(\\.\\./)+dev-engine/src/(index|schema)\\.ts$';
const ENGINE_MODULES = '^(\\.\\./)+dev-engine/src/(lib|testing)/[\\w./-]+\\.(ts|json)$';

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    // Generated or copied output, caches, and state: never source.
    ignores: ['**/node_modules', '**/dist', 'tmp', 'coverage', '.nx', '.loa', '**/.wrangler'],
  },
  {
    files: ['**/*.ts', '**/*.mts', '**/*.cts', '**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: {
      ...boundaries(),
      // `!` marks what a guard or the test itself has just established; tsc --strict checks the rest.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // A leading underscore marks a binding kept on purpose (a positional parameter, a destructured rest).
      '@typescript-eslint/no-unused-vars': ['warn', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // The identity code imports .claude's persistence helpers by the path they have in the checkout
    // and, unchanged, in the image (/workspace/libs/loa-identity beside /workspace/.claude).
    files: ['libs/loa-identity/**/*.ts'],
    rules: boundaries('^(\\.\\./)+\\.claude/lib/[\\w./-]+\\.ts$'),
  },
  {
    // The plugin is the Nx adapter over the engine library (libs/dev-engine).
    files: ['libs/plugin/**/*.ts', 'libs/plugin/scripts/*.mjs'],
    rules: boundaries(ENGINE_ENTRY),
  },
  {
    files: ['libs/plugin/**/*.spec.ts', 'libs/plugin/src/testing/**/*.ts'],
    rules: boundaries(ENGINE_ENTRY, ENGINE_MODULES),
  },
  {
    // Tests and benchmarks share the workspace's test helpers (workspace copies, free ports, services).
    files: ['apps/loa/tests/**/*.ts', 'apps/loa-e2e/**/*.ts', 'tools/**/*.ts'],
    rules: boundaries(TEST_HELPERS, PLUGIN_FIXTURES),
  },
  {
    // Benchmarks measure the runtime code itself.
    files: ['tools/bench/**/*.ts'],
    rules: boundaries(TEST_HELPERS, PLUGIN_FIXTURES, '^(\\.\\./)+libs/loa-identity/src/[\\w.-]+\\.ts$'),
  },
  {
    // Jest configs extend the root preset: configuration, not a dependency between projects.
    files: ['**/jest.config.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
];
