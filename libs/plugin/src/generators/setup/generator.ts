// nx g @loa/plugin:setup — the dev loop, images and Cloudflare deploy for an existing repository, in
// this repository's layout (preset apps) or the seed's (preset deploy). Every file comes from a template
// under files/ and is compared with what is there: missing → written, identical → untouched (so a
// second run changes nothing), different → the user's edit, kept and listed unless --force.
import {
  addProjectConfiguration,
  formatFiles,
  generateFiles,
  getProjects,
  logger,
  normalizePath,
  parseJson,
  readNxJson,
  updateNxJson,
  updateProjectConfiguration,
  writeJson,
  type ProjectConfiguration,
  type TargetConfiguration,
  type Tree,
} from '@nx/devkit';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SetupGeneratorSchema } from './schema.d.ts';
import { mergeMakefile } from './lib/makefile.ts';
import { containsConfig, overlayConfig, projectTargets, type Inference, type TargetPaths } from './lib/targets.ts';

const FILES = fileURLToPath(new URL('./files', import.meta.url));
const PRESETS = ['apps', 'deploy'] as const;
// Nx's own pattern for project names (@nx/devkit's project-name-and-root-utils), without whitespace:
// the name goes into paths and into `nx run <name>:dev`.
const PROJECT_NAME = /^(?:@[a-zA-Z0-9-*~][a-zA-Z0-9-*._~]*\/[a-zA-Z0-9-~][a-zA-Z0-9-._~]*|[a-zA-Z][^:\s]*)$/;
const PLUGIN = '@loa/plugin';
const WORKER_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** The inference plugin's entry (libs/plugin/src/plugin.ts) and its options, as nx.json registers it. */
const PLUGIN_ENTRY = { plugin: '@loa/plugin/plugin', options: { deployTargetName: 'deploy', smokeTargetName: 'smoke', imageTargetName: 'image', devTargetName: 'dev' } };
/** Ignored, so secrets, wrangler's local state and the dev loop's data (.loa/data, .loa/workspace) never get committed. */
const GITIGNORE_ENTRIES = ['.env.local', '.wrangler/', '.loa/'];

/** The chosen paths and values (TargetPaths: what the project's targets are built from), and the rest. */
export interface NormalizedSetupOptions extends Omit<TargetPaths, 'regenerateSoul'> {
  preset: 'apps' | 'deploy';
  projectRoot: string;
  projectExists: boolean;
  /** The name in <cloudflareDir>/wrangler.jsonc: the plugin infers deploy and smoke from that file. */
  wranglerName?: string;
  memoryLimit: string;
  ci: 'github' | 'none';
  skipFormat: boolean;
  force: boolean;
  /** Where @loa/plugin's sources are in this workspace (Dockerfile.dev bundles the engine from them). */
  pluginRoot: string;
}

export class SetupOptionsError extends Error {}

/**
 * Characters a path or project name may not hold: the values go unquoted into start-loa-dev.sh (word
 * splitting, `~` and `$` expansion), Dockerfile COPY lines, compose volumes (`:`), YAML (`#`), Make
 * recipes (`$`) and the dev target's globs (`*?[]{}()!`).
 */
const UNSAFE = /[\s"'`$\\;&|<>*?[\]{}()!#:~]/;

function cleanPath(name: string, value: string): string {
  // Checked before normalizePath, which drops a drive letter (C:/x → /x, a:b → b).
  const raw = /^[A-Za-z]:/.test(value.trim()) ? '/' : normalizePath(value.trim());
  if (!raw || raw.startsWith('/')) {
    throw new SetupOptionsError(`--${name}="${value}" must be a folder inside the workspace, relative to its root (e.g. --${name}=libs/loa-identity)`);
  }
  // a/./b and a//b are a/b: the globs of the dev target's rules and nx's inputs match only the plain form.
  const path = posix.normalize(raw).replace(/\/+$/, '');
  if (!path || path === '.' || path.split('/').includes('..')) {
    throw new SetupOptionsError(`--${name}="${value}" must be a folder inside the workspace, relative to its root (e.g. --${name}=libs/loa-identity)`);
  }
  if (UNSAFE.test(path) || path.split('/').some((segment) => segment.startsWith('-'))) {
    throw new SetupOptionsError(
      `--${name}="${value}": use a folder name without spaces, quotes or any of $ \\ ; & | < > * ? [ ] { } ( ) ! # : ~ (and no part starting with -): it is written unquoted into the start script, the Dockerfiles, the compose file and the dev target's globs`,
    );
  }
  return path;
}

function port(name: string, value: unknown, fallback: number): number {
  const number = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(number) || number < 1 || number > 65535) {
    throw new SetupOptionsError(`--${name}=${String(value)} is not a port: use a whole number from 1 to 65535`);
  }
  return number;
}

/** The Worker's name in <cloudflareDir>/wrangler.jsonc: the file @loa/plugin/plugin infers deploy and smoke from. */
function workerNameFrom(tree: Tree, cloudflareDir: string): string | undefined {
  const path = `${cloudflareDir}/wrangler.jsonc`;
  if (!tree.exists(path)) return undefined;
  try {
    const name = parseJson<{ name?: unknown }>(tree.read(path, 'utf-8') ?? '', { expectComments: true, allowTrailingComma: true }).name;
    return typeof name === 'string' && name ? name : undefined;
  } catch {
    // An unreadable wrangler.jsonc is wrangler's to report; the project name stands in.
    return undefined;
  }
}

function pluginRootIn(tree: Tree): string {
  for (const project of getProjects(tree).values()) {
    const manifest = `${project.root}/package.json`;
    if (tree.exists(manifest) && parseJson<{ name?: string }>(tree.read(manifest, 'utf-8') ?? '{}').name === PLUGIN) return project.root;
  }
  return `node_modules/${PLUGIN}`;
}

/** Checks every option and fills in the preset's paths; throws before anything is written. */
export function normalizeOptions(tree: Tree, schema: SetupGeneratorSchema): NormalizedSetupOptions {
  const preset = schema.preset ?? 'apps';
  if (!PRESETS.includes(preset)) {
    throw new SetupOptionsError(`Unknown preset "${preset}": use --preset=apps (apps/<project>/docker, libs/loa-identity) or --preset=deploy (the seed's deploy/ layout)`);
  }
  const project = (schema.project ?? 'loa').trim();
  if (!PROJECT_NAME.test(project)) {
    throw new SetupOptionsError(`--project="${project}" is not a name Nx accepts: start with a letter (or @scope/), no ':' and no spaces (e.g. --project=loa)`);
  }
  if (UNSAFE.test(project)) {
    throw new SetupOptionsError(`--project="${project}": use a name without any of $ \\ ; & | < > * ? [ ] { } ( ) ! # ~ or quotes: it is written unquoted into the Makefile's recipes and the start script`);
  }
  const existing = getProjects(tree).get(project);
  const projectRoot = existing?.root ?? (preset === 'apps' ? `apps/${project}` : 'deploy');
  const given = (name: keyof SetupGeneratorSchema, fallback: string) => {
    const value = schema[name];
    return cleanPath(name, typeof value === 'string' ? value : fallback);
  };
  const options = {
    project,
    preset,
    projectRoot,
    projectExists: Boolean(existing),
    identityRoot: given('identityRoot', preset === 'apps' ? 'libs/loa-identity' : 'deploy/loa-identity'),
    grimoiresRoot: given('grimoiresRoot', 'grimoires'),
    claudeRoot: given('claudeRoot', '.claude'),
    dockerDir: given('dockerDir', preset === 'apps' ? `${projectRoot}/docker` : 'deploy'),
    cloudflareDir: given('cloudflareDir', preset === 'apps' ? `${projectRoot}/cloudflare` : 'deploy/cloudflare'),
    baseImage: (schema.baseImage ?? 'loa-base:local').trim(),
    workerName: '',
    gatewayPort: port('gatewayPort', schema.gatewayPort, 18789),
    healthPort: port('healthPort', schema.healthPort, 3000),
    memoryLimit: schema.memoryLimit ?? '4G',
    ci: schema.ci ?? 'github',
    skipFormat: schema.skipFormat ?? false,
    force: schema.force ?? false,
    pluginRoot: pluginRootIn(tree),
  } satisfies NormalizedSetupOptions;
  if (options.gatewayPort === options.healthPort) {
    throw new SetupOptionsError(`--gatewayPort and --healthPort are both ${options.healthPort}: the gateway and identity each need their own port`);
  }
  if (!/^[1-9]\d*[MG]$/.test(options.memoryLimit)) {
    throw new SetupOptionsError(`--memoryLimit="${options.memoryLimit}" is not a memory size: use a whole number of megabytes or gigabytes, e.g. 4G or 512M`);
  }
  if (!['github', 'none'].includes(options.ci)) {
    throw new SetupOptionsError(`--ci="${options.ci}" is not a choice: use --ci=github (a deploy workflow) or --ci=none`);
  }
  if (!options.baseImage || /\s/.test(options.baseImage)) {
    throw new SetupOptionsError(`--baseImage="${options.baseImage}" is not an image reference (e.g. ghcr.io/you/loa:main)`);
  }
  for (const name of ['projectRoot', 'identityRoot', 'grimoiresRoot', 'claudeRoot', 'dockerDir', 'cloudflareDir'] as const) {
    if (tree.exists(options[name]) && tree.isFile(options[name])) {
      throw new SetupOptionsError(`${options[name]} is a file, but ${name} must be a folder: move the file away or pass --${name}=<another folder>`);
    }
    // A file above the folder fails only when the tree is flushed (ENOTDIR), with part of it written.
    const segments = options[name].split('/');
    for (let length = 1; length < segments.length; length++) {
      const parent = segments.slice(0, length).join('/');
      if (tree.exists(parent) && tree.isFile(parent)) {
        throw new SetupOptionsError(`${parent} is a file, but ${name} (${options[name]}) must be a folder inside a folder: move the file away or pass --${name}=<another folder>`);
      }
    }
  }
  const wranglerName = workerNameFrom(tree, options.cloudflareDir);
  if (schema.workerName !== undefined && !WORKER_NAME.test(schema.workerName.trim())) {
    throw new SetupOptionsError(`--workerName="${schema.workerName}" is not a Worker name Cloudflare accepts: lowercase letters, digits and '-', up to 63 characters`);
  }
  // Without a name given or in wrangler.jsonc, the project's, made acceptable to Cloudflare (myApp → myapp).
  const fromProject = project.replace(/^@[^/]+\//, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'loa';
  const workerName = schema.workerName?.trim() ?? wranglerName ?? fromProject;
  return { ...options, workerName, wranglerName };
}

/**
 * Renders a folder of templates with generateFiles into memory: generateFiles only needs `exists`,
 * `write` and `root` from its tree (guarded by a spec), so a small capturing tree gives each file's
 * content without touching the real tree, and the generator decides what to do with it.
 */
export function renderTemplates(folder: string, target: string, substitutions: Record<string, unknown>): Map<string, string> {
  const files = new Map<string, string>();
  const methods: Partial<Tree> = {
    root: '/',
    exists: () => false,
    write: (path: string, content: Buffer | string) => void files.set(normalizePath(path), content.toString()),
  };
  // A newer @nx/devkit whose generateFiles uses more of the tree fails here by name, not by a TypeError.
  const capture = new Proxy(methods, {
    get(target, key) {
      if (key in target) return target[key as keyof Tree];
      throw new Error(`generateFiles used tree.${String(key)}, which renderTemplates (generators/setup/generator.ts) does not provide: add it there`);
    },
  }) as Tree;
  generateFiles(capture, `${FILES}/${folder}`, target, substitutions);
  return files;
}

interface Outcome {
  kept: string[];
  /** Files that differ from our rendering: decided after formatting (see settleEdited). */
  differing: { path: string; original: string }[];
}

/** The same text but for line endings (CRLF or LF). */
function sameText(a: string, b: string): boolean {
  return a.replace(/\r\n/g, '\n') === b.replace(/\r\n/g, '\n');
}

/**
 * Writes `content` unless the file already holds it. A file that differs may be the user's edit, or
 * only our own output as the workspace's formatter left it: it is written now and settled after
 * formatFiles (settleEdited), so a second run in a Prettier workspace is not taken for an edit.
 */
function writeFile(tree: Tree, path: string, content: string, options: NormalizedSetupOptions, outcome: Outcome): void {
  const executable = path.endsWith('.sh');
  // Shell scripts run in Linux containers: LF whatever the checkout or template did.
  const text = executable ? content.replace(/\r\n?/g, '\n') : content;
  const current = tree.exists(path) ? tree.read(path, 'utf-8') : null;
  // A CRLF checkout (Git for Windows' core.autocrlf) of our output is not an edit; a start script in
  // CRLF is, since bash in the container fails on the \r (--force writes it back with LF).
  if (current === text || (!executable && current !== null && sameText(current, text))) return;
  if (current !== null && !options.force) outcome.differing.push({ path, original: current });
  // The mode only when the content changes: changePermissions on an unchanged file records an update.
  tree.write(path, text, executable ? { mode: 0o755 } : undefined);
}

/**
 * After formatting: a file whose formatted rendering equals what was there is unchanged (writing the
 * original back removes the tree's record of it); one that still differs is the user's edit, restored
 * and listed.
 */
function settleEdited(tree: Tree, outcome: Outcome): void {
  for (const { path, original } of outcome.differing) {
    const formatted = tree.read(path, 'utf-8')!;
    if (path.endsWith('.sh') ? formatted !== original : !sameText(formatted, original)) outcome.kept.push(path);
    tree.write(path, original);
  }
}

function substitutionsOf(options: NormalizedSetupOptions): Record<string, unknown> {
  const megabytes = Number.parseInt(options.memoryLimit, 10) * (options.memoryLimit.endsWith('G') ? 1024 : 1);
  return {
    ...options,
    tmpl: '',
    maxOldSpaceMb: megabytes,
    identityPackageName: options.identityRoot.split('/').pop()!.replace(/^\.+/, ''),
  };
}

function writeTemplates(tree: Tree, options: NormalizedSetupOptions, outcome: Outcome): void {
  const substitutions = substitutionsOf(options);
  const files = new Map([
    ...renderTemplates('root', '.', substitutions),
    ...renderTemplates('docker', options.dockerDir, substitutions),
    ...(options.ci === 'github' ? renderTemplates('github', '.', substitutions) : []),
  ]);
  // The production image is the user's once it exists (it carries their build); written only when
  // missing, with the .dockerignore its build context (the repository root) needs when there is none:
  // .env.local, node_modules and the local data stay out of the image.
  if (!tree.exists(`${options.dockerDir}/Dockerfile`)) {
    const production = [...renderTemplates('production', options.dockerDir, substitutions), ...renderTemplates('context', '.', substitutions)];
    for (const [path, content] of production) {
      if (!tree.exists(path)) files.set(path, content);
    }
  }
  // A starter identity only where there is no service, so that `dev` has something to run at once.
  if (!tree.exists(`${options.identityRoot}/src/main.ts`)) {
    for (const [path, content] of renderTemplates('identity', options.identityRoot, substitutions)) {
      if (!tree.exists(path)) files.set(path, content);
    }
  }
  // A folder where a file goes would fail below on a null read (a TypeError naming nothing); nothing is written yet.
  for (const path of [...files.keys(), '.gitignore']) {
    if (tree.exists(path) && !tree.isFile(path)) {
      throw new SetupOptionsError(`${path} is a folder, but the generator writes a file there: move the folder away (or rename it) and run again`);
    }
  }
  for (const [path, content] of files) {
    if (path === 'Makefile' && tree.exists(path)) {
      const merge = mergeMakefile(tree.read(path, 'utf-8')!, content, options.force);
      if (merge.content !== tree.read(path, 'utf-8')) tree.write(path, merge.content);
      outcome.kept.push(...merge.differing.map((name) => `Makefile target ${name}`));
      outcome.kept.push(...merge.manual.map((name) => `Makefile target ${name} (in a rule --force does not rewrite: merge ours by hand)`));
      continue;
    }
    writeFile(tree, path, content, options, outcome);
  }
}

function updateGitignore(tree: Tree): void {
  const current = tree.exists('.gitignore') ? tree.read('.gitignore', 'utf-8')! : '';
  const present = new Set(current.split(/\r?\n/).map((line) => line.trim().replace(/^\//, '').replace(/\/$/, '')));
  const missing = GITIGNORE_ENTRIES.filter((entry) => !present.has(entry.replace(/\/$/, '')));
  if (missing.length === 0) return;
  // The file's own line endings (a CRLF .gitignore stays CRLF).
  const eol = current.includes('\r\n') ? '\r\n' : '\n';
  const prefix = current === '' ? '' : `${current.replace(/(\r?\n)*$/, eol)}${eol}`;
  const block = ["# nx g @loa/plugin:setup: local secrets, wrangler's state, the dev loop's data", ...missing];
  tree.write('.gitignore', `${prefix}${block.join(eol)}${eol}`);
}

/** The project at `root`, given a project.json when it has no configuration yet; returns its name. */
function ensureContentProject(tree: Tree, root: string): string {
  const found = [...getProjects(tree).entries()].find(([, project]) => project.root === root);
  if (found) return found[0];
  const base = root.split('/').pop()!.replace(/^\.+/, '') || 'content';
  const taken = new Set(getProjects(tree).keys());
  let name = base;
  for (let index = 2; taken.has(name); index++) name = `${base}-${index}`;
  addProjectConfiguration(tree, name, { root, projectType: 'library', sourceRoot: root, tags: [], targets: {} });
  return name;
}

/**
 * The folder @loa/plugin/plugin gives `dir`'s inferred targets to: the nearest one at or above it with a
 * project.json (plugin.ts owningProjectRoot), our project's root counting when it is about to get one. A
 * project configured in package.json (an npm workspace) gets nothing inferred, so its targets are written whole.
 */
function ownerOf(tree: Tree, dir: string, options: NormalizedSetupOptions): string | undefined {
  for (let current = dir; ; current = posix.dirname(current)) {
    if (tree.exists(current === '.' ? 'project.json' : `${current}/project.json`)) return current;
    if (!options.projectExists && current === options.projectRoot) return current;
    if (current === '.') return undefined;
  }
}

/**
 * Whether @loa/plugin/plugin, as nx.json registers it (after registerPlugin), infers our target names
 * everywhere: a registration of the user's with other target names, include or exclude may infer none
 * of them for our files, so then every target is written whole.
 */
function pluginInfersOurTargets(tree: Tree): boolean {
  const entry = (readNxJson(tree)?.plugins ?? []).find((plugin) => (typeof plugin === 'string' ? plugin : plugin.plugin) === PLUGIN_ENTRY.plugin);
  if (entry === undefined) return false;
  if (typeof entry === 'string') return true;
  if (entry.include !== undefined || entry.exclude !== undefined) return false;
  const given = (entry.options ?? {}) as Record<string, unknown>;
  return Object.entries(PLUGIN_ENTRY.options).every(([name, value]) => given[name] === undefined || given[name] === value);
}

function inferenceFor(tree: Tree, options: NormalizedSetupOptions): Inference {
  const infers = pluginInfersOurTargets(tree);
  const ours = (dir: string) => infers && ownerOf(tree, dir, options) === options.projectRoot;
  return {
    docker: ours(options.dockerDir),
    wrangler: ours(options.cloudflareDir) && tree.exists(`${options.cloudflareDir}/wrangler.jsonc`),
    wranglerName: options.wranglerName,
  };
}

/**
 * Whether the user's target runs another executor than ours (or than the one the plugin infers, for an
 * options-only target): --force then replaces it whole, since its options (a run-commands `command`,
 * `cwd`, …) are not in our executor's schema and `nx run` would fail on them.
 */
function foreignExecutor(existing: TargetConfiguration, ours: TargetConfiguration): boolean {
  const theirs = existing.executor ?? (existing.command !== undefined ? 'nx:run-commands' : undefined);
  if (theirs === undefined) return false;
  return ours.executor !== undefined ? theirs !== ours.executor : !theirs.startsWith(`${PLUGIN}:`);
}

function updateProject(tree: Tree, options: NormalizedSetupOptions, outcome: Outcome): void {
  const inProject = (path: string) => path === options.projectRoot || path.startsWith(`${options.projectRoot}/`);
  // Once each: --identityRoot and --claudeRoot may name the same folder as --grimoiresRoot.
  const dependencies = [...new Set([options.identityRoot, options.grimoiresRoot, options.claudeRoot])]
    .filter((root) => !inProject(root))
    .map((root) => ensureContentProject(tree, root));
  // After writeTemplates: the starter identity, when written, has the script.
  const regenerateSoul = tree.exists(`${options.identityRoot}/src/regenerate-soul.ts`);
  const targets = projectTargets({ ...options, regenerateSoul }, inferenceFor(tree, options));
  if (!options.projectExists) {
    addProjectConfiguration(tree, options.project, {
      root: options.projectRoot,
      projectType: 'application',
      sourceRoot: options.projectRoot,
      tags: [],
      implicitDependencies: dependencies,
      targets,
    });
    return;
  }
  const current = getProjects(tree).get(options.project)! as ProjectConfiguration;
  const next: ProjectConfiguration = structuredClone(current);
  next.implicitDependencies = [...(current.implicitDependencies ?? [])];
  for (const dependency of dependencies) if (!next.implicitDependencies.includes(dependency)) next.implicitDependencies.push(dependency);
  next.targets ??= {};
  for (const [name, target] of Object.entries(targets)) {
    const existing = next.targets[name];
    if (!existing) next.targets[name] = target;
    else if (containsConfig(existing, target)) continue;
    else if (options.force) next.targets[name] = foreignExecutor(existing, target) ? target : overlayConfig(existing, target);
    else outcome.kept.push(`${options.projectRoot}/project.json target ${name}`);
  }
  // Compared as JSON values: getProjects' objects carry symbol keys that structuredClone drops, so
  // isDeepStrictEqual would call every project changed, and updateProjectConfiguration reformats the file.
  if (!containsConfig(next, current) || !containsConfig(current, next)) updateProjectConfiguration(tree, options.project, next);
}

/**
 * Registers the inference plugin in nx.json once. An existing entry (string or object, whatever its
 * options) is the user's and stays; then nx.json is not written at all, since updateNxJson reformats it.
 */
function registerPlugin(tree: Tree): void {
  const nxJson = readNxJson(tree);
  // Nx runs without an nx.json; without the registration nothing would infer deploy, image or dev-*.
  if (!nxJson) return writeJson(tree, 'nx.json', { $schema: './node_modules/nx/schemas/nx-schema.json', plugins: [structuredClone(PLUGIN_ENTRY)] });
  const registered = (nxJson.plugins ?? []).some((entry) => (typeof entry === 'string' ? entry : entry.plugin) === PLUGIN_ENTRY.plugin);
  if (registered) return;
  nxJson.plugins = [...(nxJson.plugins ?? []), structuredClone(PLUGIN_ENTRY)];
  updateNxJson(tree, nxJson);
}

export async function setupGenerator(tree: Tree, schema: SetupGeneratorSchema): Promise<void> {
  const options = normalizeOptions(tree, schema);
  const outcome: Outcome = { kept: [], differing: [] };
  writeTemplates(tree, options, outcome);
  updateGitignore(tree);
  // Registered first: updateProject writes whole the targets the registration will not infer.
  registerPlugin(tree);
  updateProject(tree, options, outcome);
  if (!options.skipFormat) await formatFiles(tree);
  settleEdited(tree, outcome);
  if (outcome.kept.length > 0) {
    logger.warn(
      `Kept what you edited (run again with --force to replace it with the generator's version):\n${outcome.kept.map((item) => `  - ${item}`).join('\n')}`,
    );
  }
}

export default setupGenerator;
