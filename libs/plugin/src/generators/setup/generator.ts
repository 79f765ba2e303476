// nx g @loa/plugin:setup — the dev loop, images and Cloudflare deploy for an existing repository, in
// this repository's layout (preset apps) or the seed's (preset deploy). Every file comes from a template
// under files/ and is compared with what is there: missing → written, identical → untouched (so a
// second run changes nothing), different → the user's edit, kept and listed unless --force.
import {
  addDependenciesToPackageJson,
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
  type ExpandedPluginConfiguration,
  type FileChange,
  type GeneratorCallback,
  type PluginConfiguration,
  type ProjectConfiguration,
  type TargetConfiguration,
  type Tree,
} from '@nx/devkit';
import { accessSync, constants, existsSync, lstatSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import picomatch from 'picomatch';
import type { SetupGeneratorSchema } from './schema.d.ts';
import { mergeMakefile } from './lib/makefile.ts';
import { containsConfig, overlayConfig, projectTargets, type Inference, type TargetPaths } from './lib/targets.ts';

const FILES = fileURLToPath(new URL('./files', import.meta.url));
const PRESETS = ['apps', 'deploy'] as const;
// Nx's own pattern for project names (@nx/devkit's project-name-and-root-utils), without whitespace:
// the name goes into paths and into `nx run <name>:dev`.
const PROJECT_NAME = /^(?:@[a-zA-Z0-9-*~][a-zA-Z0-9-*._~]*\/[a-zA-Z0-9-~][a-zA-Z0-9-._~]*|[a-zA-Z][^:\s]*)$/;
const PLUGIN = '@loa/plugin';
const ENGINE = '@loa/dev-engine';
/**
 * The wrangler deploy-cf runs (node_modules/.bin/wrangler): the version this plugin is tested with, the
 * root package.json's (a test keeps the two equal). A wrangler the workspace has already is kept.
 */
export const WRANGLER_VERSION = '4.164.0';
const WORKER_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** The inference plugin (libs/plugin/src/plugin.ts) and its options, as nx.json registers it (with an `include`). */
const PLUGIN_NAME = '@loa/plugin/plugin';
const PLUGIN_OPTIONS = { deployTargetName: 'deploy', smokeTargetName: 'smoke', imageTargetName: 'image', devTargetName: 'dev' };
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
  skipPackageJson: boolean;
  force: boolean;
  /** Where the dev engine's build output is (Dockerfile.dev copies it into the image): see engineDirIn. */
  engineDir: string;
}

export class SetupOptionsError extends Error {}

/**
 * Characters a path or project name may not hold: the values go unquoted into start-loa-dev.sh (word
 * splitting, `~` and `$` expansion), Dockerfile COPY lines, compose volumes (`:`), YAML (`#`), Make
 * recipes (`$`) and the dev target's globs (`*?[]{}()!`).
 */
const UNSAFE = /[\s"'`$\\;&|<>*?[\]{}()!#:~]/;

/** Folders that belong to a tool, not to the repository's sources: what the generator would write there is lost or does harm. */
const OWNED = {
  '.git': "git's own data (nothing there is committed, and a file there can break the repository)",
  node_modules: "the package manager's (an install removes what is there)",
  '.nx': "Nx's cache and workspace data (nx reset removes it)",
} as const;

/**
 * The tool folder `path` is in: any part named .git or node_modules, or .nx at the workspace root. .git in
 * any case: on a case-insensitive file system (macOS, Windows) .GIT is git's folder.
 */
function ownedFolder(path: string): keyof typeof OWNED | undefined {
  const segments = path.split('/');
  if (segments[0] === '.nx') return '.nx';
  if (segments.some((segment) => segment.toLowerCase() === '.git')) return '.git';
  return segments.includes('node_modules') ? 'node_modules' : undefined;
}

/**
 * The tool folder `path` really is in on disk (with the workspace-relative path it resolves to): the
 * deepest part of it that exists, resolved, so that a symlink (gitlink → .git) cannot lead around
 * ownedFolder. Undefined for a tree with no folder on disk (a test's), and for a path that resolves
 * outside the workspace or to nothing (checkDestinations names those).
 */
function ownedOnDisk(root: string, path: string): { owner: keyof typeof OWNED; real: string } | undefined {
  if (!existsSync(root)) return undefined;
  const realRoot = realpathSync(root);
  let existing = join(root, path);
  while (!lexists(existing)) existing = dirname(existing);
  let real: string;
  try {
    real = realpathSync(existing);
  } catch {
    return undefined;
  }
  if (real === realRoot || !within(realRoot, real)) return undefined;
  // With the part that does not exist yet, as it would be created.
  const relativePath = relative(realRoot, join(real, relative(existing, join(root, path)))).split(sep).join('/');
  const owner = ownedFolder(relative(realRoot, real).split(sep).join('/'));
  return owner === undefined ? undefined : { owner, real: relativePath };
}

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
  const owner = ownedFolder(path);
  if (owner !== undefined) {
    throw new SetupOptionsError(`--${name}="${value}" is inside ${owner}, ${OWNED[owner]}: use a folder outside .git, node_modules and .nx (e.g. --${name}=libs/loa-identity)`);
  }
  if (UNSAFE.test(path) || path.split('/').some((segment) => segment.startsWith('-'))) {
    throw new SetupOptionsError(
      `--${name}="${value}": use a folder name without spaces, quotes or any of $ \\ ; & | < > * ? [ ] { } ( ) ! # : ~ (and no part starting with -): it is written unquoted into the start script, the Dockerfiles, the compose file and the dev target's globs`,
    );
  }
  return path;
}

function port(name: string, value: unknown): number {
  const number = Number(value);
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

/**
 * The engine's build output, as Dockerfile.dev copies it from the build context (the workspace root):
 * @loa/plugin ships it as `engine/`; in a workspace that builds the engine itself (this repository, a
 * project whose package.json is @loa/dev-engine), it is that project's `nx run <it>:build` output.
 */
function engineDirIn(tree: Tree): string {
  for (const project of getProjects(tree).values()) {
    const manifest = `${project.root}/package.json`;
    if (tree.exists(manifest) && parseJson<{ name?: string }>(tree.read(manifest, 'utf-8') ?? '{}').name === ENGINE) return `dist/${project.root}`;
  }
  return `node_modules/${PLUGIN}/engine`;
}

/** What marks a workspace in the seed's layout (preset deploy): any one of these. */
const SEED_LAYOUT = ['deploy/loa-identity', 'deploy/cloudflare', 'deploy/Dockerfile'];

/**
 * The preset when none is given nor recorded: deploy in a workspace already in the seed's layout (where
 * apps would set up a second, empty apps/<project> beside it), else apps. Said when `say`, since it
 * decides every path.
 */
function detectedPreset(tree: Tree, say: boolean): 'apps' | 'deploy' {
  const found = SEED_LAYOUT.find((path) => tree.exists(path));
  if (found === undefined) return 'apps';
  if (say) logger.info(`Using --preset=deploy: ${found} is there (the seed's layout); pass --preset=apps for apps/<project>/docker, apps/<project>/cloudflare and libs/loa-identity instead`);
  return 'deploy';
}

/** The path options, as the preset sets them when not given. */
function presetPaths(preset: 'apps' | 'deploy', projectRoot: string): Record<PathOption, string> {
  return {
    identityRoot: preset === 'apps' ? 'libs/loa-identity' : 'deploy/loa-identity',
    grimoiresRoot: 'grimoires',
    claudeRoot: '.claude',
    dockerDir: preset === 'apps' ? `${projectRoot}/docker` : 'deploy',
    cloudflareDir: preset === 'apps' ? `${projectRoot}/cloudflare` : 'deploy/cloudflare',
  };
}

type PathOption = 'identityRoot' | 'grimoiresRoot' | 'claudeRoot' | 'dockerDir' | 'cloudflareDir';

/** Checks every option and fills in the preset's paths; throws before anything is written. */
export function normalizeOptions(tree: Tree, schema: SetupGeneratorSchema): NormalizedSetupOptions {
  if (schema.preset !== undefined && !PRESETS.includes(schema.preset)) {
    throw new SetupOptionsError(`Unknown preset "${schema.preset}": use --preset=apps (apps/<project>/docker, libs/loa-identity) or --preset=deploy (the seed's deploy/ layout)`);
  }
  const project = (schema.project ?? 'loa').trim();
  if (!PROJECT_NAME.test(project)) {
    throw new SetupOptionsError(`--project="${project}" is not a name Nx accepts: start with a letter (or @scope/), no ':' and no spaces (e.g. --project=loa)`);
  }
  if (UNSAFE.test(project)) {
    throw new SetupOptionsError(`--project="${project}": use a name without any of $ \\ ; & | < > * ? [ ] { } ( ) ! # ~ or quotes: it is written unquoted into the Makefile's recipes and the start script`);
  }
  const existing = getProjects(tree).get(project);
  // A rerun without a flag keeps what the last run chose (schema.json has no defaults for these, so Nx
  // leaves an option out when it is not typed): given > recorded > the default.
  const stateFile = existing === undefined ? undefined : readState(tree, existing.root);
  const recorded = stateFile?.options ?? {};
  const reused: string[] = [];
  const state = existing === undefined ? '' : statePath(existing.root);
  if (stateFile !== undefined && stateFile.problems.length > 0) {
    logger.warn(`${state} is damaged: ${stateFile.problems.join('; ')}; taken as not recorded (given, else the default), and this run records its own options there`);
  }
  const recordedPreset = recorded.preset === 'apps' || recorded.preset === 'deploy' ? recorded.preset : undefined;
  if (schema.preset === undefined && recordedPreset !== undefined && recordedPreset !== detectedPreset(tree, false)) reused.push(`--preset=${recordedPreset}`);
  const preset = schema.preset ?? recordedPreset ?? detectedPreset(tree, true);
  const projectRoot = existing?.root ?? (preset === 'apps' ? `apps/${project}` : 'deploy');
  const owner = ownedFolder(projectRoot);
  if (owner !== undefined) {
    throw new SetupOptionsError(`--project="${project}" would put the project at ${projectRoot}, inside ${owner}, ${OWNED[owner]}: choose another name (e.g. --project=loa)`);
  }
  /**
   * The value of a recorded option: given, else recorded when it was a choice (`chosen`), else `fallback`.
   * A recorded value is checked as a given one, and an error about it says where it came from.
   */
  const choose = <T extends string | number>(name: (typeof RECORDED)[number], fallback: T, check: (value: T) => T, chosen: (value: T) => boolean = () => true): T => {
    const given = schema[name] as T | undefined;
    if (given !== undefined) return check(given);
    const value = recorded[name] as T | undefined;
    if (typeof value !== typeof fallback || value === fallback || !chosen(value!)) return check(fallback);
    try {
      const checked = check(value!);
      reused.push(`--${name}=${checked}`);
      return checked;
    } catch (error) {
      if (!(error instanceof SetupOptionsError)) throw error;
      throw new SetupOptionsError(`${error.message} (the value ${state} recorded: pass --${name}=<value> to replace it)`);
    }
  };
  const defaults = presetPaths(preset, projectRoot);
  // A path the last run took from its preset is not a choice once the preset changes (--preset=apps after
  // deploy moves the folders); one that differs from that preset's was typed, and stays.
  const recordedDefaults = presetPaths(recordedPreset ?? preset, projectRoot);
  const path = (name: PathOption) =>
    choose<string>(name, defaults[name], (value) => cleanPath(name, value), (value) => (recordedPreset ?? preset) === preset || value !== recordedDefaults[name]);
  const options = {
    project,
    preset,
    projectRoot,
    projectExists: Boolean(existing),
    identityRoot: path('identityRoot'),
    grimoiresRoot: path('grimoiresRoot'),
    claudeRoot: path('claudeRoot'),
    dockerDir: path('dockerDir'),
    cloudflareDir: path('cloudflareDir'),
    baseImage: choose<string>('baseImage', 'loa-base:local', imageReference),
    workerName: '',
    gatewayPort: choose<number>('gatewayPort', 18789, (value) => port('gatewayPort', value)),
    healthPort: choose<number>('healthPort', 3000, (value) => port('healthPort', value)),
    memoryLimit: choose<string>('memoryLimit', '4G', memorySize),
    ci: choose<string>('ci', 'github', ciChoice) as 'github' | 'none',
    skipFormat: schema.skipFormat ?? false,
    skipPackageJson: schema.skipPackageJson ?? false,
    force: schema.force ?? false,
    engineDir: engineDirIn(tree),
  } satisfies NormalizedSetupOptions;
  if (options.gatewayPort === options.healthPort) {
    throw new SetupOptionsError(`--gatewayPort and --healthPort are both ${options.healthPort}: the gateway and identity each need their own port`);
  }
  for (const name of ['projectRoot', 'identityRoot', 'grimoiresRoot', 'claudeRoot', 'dockerDir', 'cloudflareDir'] as const) {
    const linked = ownedOnDisk(tree.root, options[name]);
    if (linked !== undefined) {
      const flag = name === 'projectRoot' ? 'project' : name;
      throw new SetupOptionsError(
        `--${flag}: ${options[name]} resolves (through a symlink) to ${linked.real}, inside ${linked.owner}, ${OWNED[linked.owner]}: use a folder outside .git, node_modules and .nx, or replace the symlink with a folder`,
      );
    }
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
  // Without a name given or in wrangler.jsonc, the project's, made acceptable to Cloudflare (myApp → myapp).
  const fromProject = project.replace(/^@[^/]+\//, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'loa';
  // A recorded project-derived name is no choice: a wrangler.jsonc written since names the Worker.
  const derived = wranglerName ?? fromProject;
  // wrangler.jsonc's own name is wrangler's to check.
  const workerName = choose<string>('workerName', derived, (value) => (value === derived ? value : workerNameChecked(value)), (value) => value !== fromProject);
  if (reused.length > 0) logger.info(`Reused the options ${state} recorded, not given this time: ${reused.join(' ')} (pass a flag to change one)`);
  return { ...options, workerName, wranglerName };
}

/**
 * The least --memoryLimit: the dev container runs identity's Node, the openclaw gateway (Node too) and
 * the dev engine, and Node's heap limit is set to the whole limit; 1M would write a container that cannot start them.
 */
const MIN_MEMORY_MB = 512;

/**
 * The most --memoryLimit: no dev machine has more, and Node's --max-old-space-size (written from it) must
 * stay a whole number (99999999999999999999G would be written as 1.024e+23).
 */
const MAX_MEMORY_MB = 1024 * 1024;

const megabytesOf = (memory: string) => Number.parseInt(memory, 10) * (memory.endsWith('G') ? 1024 : 1);

function memorySize(value: string): string {
  if (!/^[1-9]\d*[MG]$/.test(value)) {
    throw new SetupOptionsError(`--memoryLimit="${value}" is not a memory size: use a whole number of megabytes or gigabytes, e.g. 4G or 512M`);
  }
  // Compared as a safe integer: past 2^53 a number of digits no longer reads back as itself.
  const megabytes = megabytesOf(value);
  if (!Number.isSafeInteger(megabytes) || megabytes > MAX_MEMORY_MB) {
    throw new SetupOptionsError(`--memoryLimit=${value} is more than a dev container can have: use at most 1024G (e.g. --memoryLimit=4G)`);
  }
  if (megabytesOf(value) < MIN_MEMORY_MB) {
    throw new SetupOptionsError(
      `--memoryLimit=${value} is too little for the dev container: identity's Node, the gateway and the dev engine run in it, and Node's heap limit follows it; use ${MIN_MEMORY_MB}M or more (e.g. --memoryLimit=4G)`,
    );
  }
  return value;
}

function ciChoice(value: string): string {
  if (!['github', 'none'].includes(value)) {
    throw new SetupOptionsError(`--ci="${value}" is not a choice: use --ci=github (a deploy workflow) or --ci=none`);
  }
  return value;
}

/**
 * A Docker image reference, as distribution/reference's grammar has it: [host[:port]/]path[:tag][@digest],
 * the path's components in lowercase. It goes unquoted into Dockerfile.dev's ARG and into the compose
 * file's ${LOA_BASE_IMAGE:-…}, where a quote, `}`, `$` or `\` would change what they say.
 */
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const IMAGE_REFERENCE = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*` +
    '(?::[\\w][\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$',
);

/** Docker's limit on a repository name (registry host included, tag and digest not): distribution/reference's NameTotalLengthMax. */
const IMAGE_NAME_MAX = 255;

function imageReference(value: string): string {
  const image = value.trim();
  // The name without @digest and :tag (a `:` after the last `/`; one before it is the registry's port).
  const name = image.replace(/@.*$/, '').replace(/:[^/]*$/, '');
  const [first, ...rest] = name.split('/');
  // Docker takes the first component for a registry host only with a dot or a port in it, or as
  // localhost; otherwise it is part of the name, where uppercase is refused (Foo/bar).
  const host = rest.length > 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (name.length > IMAGE_NAME_MAX) {
    throw new SetupOptionsError(`--baseImage="${image.slice(0, 40)}…" has a name of ${name.length} characters: Docker takes at most ${IMAGE_NAME_MAX} (registry and path, without the tag): use a shorter one`);
  }
  if (!IMAGE_REFERENCE.test(image) || (!host && /[A-Z]/.test(name))) {
    throw new SetupOptionsError(
      `--baseImage="${image}" is not a Docker image reference: use [registry[:port]/]name[:tag][@sha256:<digest>], the name in lowercase (e.g. --baseImage=ghcr.io/you/loa:main or --baseImage=loa-base:local)`,
    );
  }
  return image;
}

function workerNameChecked(value: string): string {
  if (!WORKER_NAME.test(value.trim())) {
    throw new SetupOptionsError(`--workerName="${value}" is not a Worker name Cloudflare accepts: lowercase letters, digits and '-', up to 63 characters`);
  }
  return value.trim();
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
  /** Files and targets rewritten without --force: the generator's own output for the options the state file recorded. */
  updated: string[];
  /** Lines printed as warnings after the list of what was kept. */
  notices: string[];
  /** Root files and Makefile targets that are another project's dev stack (see otherStacks): kept, or with --force moved to this project. */
  foreign: { item: string; stack: Stack }[];
}

/** Another project's dev stack: the root files its recorded options give (compose file, Makefile, workflow, .env.local.example). */
interface Stack {
  project: string;
  state: string;
  files: Map<string, string>;
}

/**
 * The dev stacks of the other projects the generator set up (each with its state file). The root files
 * are one per workspace: a second project's run finds them as the first one's output, which is no edit
 * of the user's, and --force would take them over.
 */
function otherStacks(tree: Tree, options: NormalizedSetupOptions): Stack[] {
  const stacks: Stack[] = [];
  for (const [project, configuration] of getProjects(tree)) {
    // Another project's damaged state file is that project's run to report (a folder there names no stack).
    const path = statePath(configuration.root);
    const recorded = project === options.project || !tree.exists(path) || !tree.isFile(path) ? undefined : readState(tree, configuration.root)?.options;
    if (!recorded || Object.keys(recorded).length === 0) continue;
    const other: NormalizedSetupOptions = { ...options, project, projectRoot: configuration.root };
    for (const name of RECORDED) if (typeof recorded[name] === typeof options[name]) Object.assign(other, { [name]: recorded[name] });
    stacks.push({ project, state: statePath(configuration.root), files: rootFiles(tree, other) });
  }
  return stacks;
}

/** The same content but for layout: a formatter (Prettier) may have re-indented or re-quoted the other project's files. */
const sameContent = (a: string, b: string) => a.replace(/[\s'"]+/g, '') === b.replace(/[\s'"]+/g, '');

/** The same text but for line endings (CRLF or LF). */
function sameText(a: string, b: string): boolean {
  return a.replace(/\r\n/g, '\n') === b.replace(/\r\n/g, '\n');
}

/**
 * Writes `content` unless the file already holds it. A file that differs may be the user's edit, our
 * output for the options of the last run (`previous`, from the state file: rewritten, since only the
 * options changed), another project's dev stack (`stacks`: kept and named as that project's, moved to
 * this one with --force), or only our own output as the workspace's formatter left it: it is written now and
 * settled after formatFiles (settleEdited), so a second run in a Prettier workspace is not taken for an edit.
 */
function writeFile(tree: Tree, path: string, content: string, previous: string | undefined, stacks: Stack[], options: NormalizedSetupOptions, outcome: Outcome): void {
  const executable = path.endsWith('.sh');
  // Shell scripts run in Linux containers: LF whatever the checkout or template did.
  const text = executable ? content.replace(/\r\n?/g, '\n') : content;
  const current = tree.exists(path) ? tree.read(path, 'utf-8') : null;
  // A CRLF checkout (Git for Windows' core.autocrlf) of our output is not an edit; a start script in
  // CRLF is, since bash in the container fails on the \r (--force writes it back with LF).
  const same = (a: string, b: string) => a === b || (!executable && sameText(a, b));
  if (current !== null && same(current, text)) return;
  const stack = current === null ? undefined : stacks.find((other) => other.files.has(path) && sameContent(current, other.files.get(path)!));
  if (current !== null && previous !== undefined && same(current, previous)) outcome.updated.push(path);
  else if (stack !== undefined) {
    outcome.foreign.push({ item: path, stack });
    if (!options.force) return;
  } else if (current !== null && !options.force) outcome.differing.push({ path, original: current });
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
  return {
    ...options,
    tmpl: '',
    maxOldSpaceMb: megabytesOf(options.memoryLimit),
    identityPackageName: options.identityRoot.split('/').pop()!.replace(/^\.+/, ''),
  };
}

/**
 * The Makefile make reads: GNU make looks for GNUmakefile, makefile and Makefile, in that order, so
 * our targets go into the first of those that exists (a second `Makefile` beside a `makefile` would
 * never be read, or would shadow the user's on a case-insensitive file system).
 */
function makefileIn(tree: Tree): string {
  return ['GNUmakefile', 'makefile', 'Makefile'].find((name) => tree.exists(name) && tree.isFile(name)) ?? 'Makefile';
}

/** The files at the workspace root (one per workspace): the compose file, the Makefile, .env.local.example and the workflow. */
function rootFiles(tree: Tree, options: NormalizedSetupOptions): Map<string, string> {
  const substitutions = substitutionsOf(options);
  const makefile = makefileIn(tree);
  return new Map([
    ...[...renderTemplates('root', '.', substitutions)].map(([path, content]) => [path === 'Makefile' ? makefile : path, content] as const),
    ...(options.ci === 'github' ? renderTemplates('github', '.', substitutions) : []),
  ]);
}

/** Every file the templates give for these options, by path (the production image and starter identity only where missing). */
function renderedFiles(tree: Tree, options: NormalizedSetupOptions): Map<string, string> {
  const substitutions = substitutionsOf(options);
  const files = new Map([...rootFiles(tree, options), ...renderTemplates('docker', options.dockerDir, substitutions)]);
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
  return files;
}

function writeTemplates(tree: Tree, options: NormalizedSetupOptions, previous: NormalizedSetupOptions | undefined, outcome: Outcome): void {
  const files = renderedFiles(tree, options);
  // A folder where a file goes would fail below on a null read (a TypeError naming nothing); nothing is written yet.
  for (const path of [...files.keys(), '.gitignore']) {
    if (tree.exists(path) && !tree.isFile(path)) {
      throw new SetupOptionsError(`${path} is a folder, but the generator writes a file there: move the folder away (or rename it) and run again`);
    }
  }
  const before = previous === undefined ? new Map<string, string>() : renderedFiles(tree, previous);
  const stacks = otherStacks(tree, options);
  const makefile = makefileIn(tree);
  for (const [path, content] of files) {
    if (path === makefile && tree.exists(path)) {
      const current = tree.read(path, 'utf-8')!;
      const merge = mergeMakefile(current, content, options.force);
      if (merge.content !== current) tree.write(path, merge.content);
      // A target as another project's run wrote it is that project's, not an edit.
      const stackOf = (name: string) =>
        stacks.find((other) => other.files.has(path) && !mergeMakefile(current, other.files.get(path)!, false).differing.includes(name));
      for (const name of mergeMakefile(current, content, false).differing) {
        const stack = stackOf(name);
        if (stack !== undefined) outcome.foreign.push({ item: `${path} target ${name}`, stack });
        else if (!options.force) outcome.kept.push(`${path} target ${name}`);
      }
      outcome.kept.push(...merge.manual.map((name) => `${path} target ${name} (in a rule --force does not rewrite: merge ours by hand)`));
      continue;
    }
    writeFile(tree, path, content, before.get(path), stacks, options, outcome);
  }
}

/**
 * Whether the root .gitignore's `lines` already ignore `entry` (a top-level name, `dir/` for a folder),
 * as git reads them: the last pattern that matches wins, `!` un-ignores, a pattern ending in `/` matches
 * only a folder, a leading `/` anchors to the root (all our entries are at the root). A folder counts as
 * ignored when a pattern ignores everything in it (`.loa/*`, `.loa/**`). Globs by picomatch, with dot
 * files matched as git does (`.env*`, `*.local`).
 */
export function gitignoreCovers(lines: readonly string[], entry: string): boolean {
  const folder = entry.endsWith('/');
  const name = entry.replace(/\/$/, '');
  // A child no pattern would name on its own: matched only by one for the folder's whole content.
  const candidates: [string, boolean][] = folder ? [[name, true], [`${name}/loa-setup-probe`, false]] : [[name, false]];
  let ignored = false;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negated = line.startsWith('!');
    let pattern = negated ? line.slice(1) : line;
    const folderOnly = pattern.endsWith('/');
    pattern = pattern.replace(/\/+$/, '').replace(/^\//, '');
    if (pattern === '') continue;
    // Without a slash in it, a pattern matches at any depth: for a root entry, the same as anchored.
    const matches = picomatch(pattern, { dot: true });
    if (candidates.some(([path, isFolder]) => (isFolder || !folderOnly) && matches(path))) ignored = !negated;
  }
  return ignored;
}

function updateGitignore(tree: Tree): void {
  const current = tree.exists('.gitignore') ? tree.read('.gitignore', 'utf-8')! : '';
  const lines = current.split(/\r?\n/);
  const missing = GITIGNORE_ENTRIES.filter((entry) => !gitignoreCovers(lines, entry));
  if (missing.length === 0) return;
  // The file's own line endings (a CRLF .gitignore stays CRLF).
  const eol = current.includes('\r\n') ? '\r\n' : '\n';
  const prefix = current === '' ? '' : `${current.replace(/(\r?\n)*$/, eol)}${eol}`;
  const block = ["# nx g @loa/plugin:setup: local secrets, wrangler's state, the dev loop's data", ...missing];
  tree.write('.gitignore', `${prefix}${block.join(eol)}${eol}`);
}

/**
 * Whether a .dockerignore's `lines` leave `path` out of the build context, as Docker reads them: patterns
 * anchored at the context root (a leading `/` changes nothing), `**` for any depth, the last matching
 * line wins, `!` puts back, and a line that matches a folder leaves out everything in it.
 */
export function dockerignoreExcludes(lines: readonly string[], path: string): boolean {
  const parts = path.split('/');
  const selfAndParents = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let excluded = false;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negated = line.startsWith('!');
    const pattern = posix.normalize((negated ? line.slice(1) : line).trim().replace(/^\/+/, '').replace(/\/+$/, ''));
    if (pattern === '' || pattern === '.') continue;
    const matches = picomatch(pattern, { dot: true });
    if (selfAndParents.some((candidate) => matches(candidate))) excluded = !negated;
  }
  return excluded;
}

/**
 * Dockerfile.dev copies the engine's build output (engineDir) from the build context: a .dockerignore of
 * the user's that leaves it out (`node_modules`, `**\/dist`) gets one line that puts it back, at the end,
 * where the last match wins. Without a .dockerignore nothing is left out; ours (written with the
 * production Dockerfile) has the line already.
 */
function updateDockerignore(tree: Tree, options: NormalizedSetupOptions): void {
  if (!tree.exists('.dockerignore') || !tree.isFile('.dockerignore')) return;
  const current = tree.read('.dockerignore', 'utf-8')!;
  if (!dockerignoreExcludes(current.split(/\r?\n/), options.engineDir)) return;
  const eol = current.includes('\r\n') ? '\r\n' : '\n';
  const prefix = current === '' ? '' : `${current.replace(/(\r?\n)*$/, eol)}${eol}`;
  tree.write('.dockerignore', `${prefix}# nx g @loa/plugin:setup: the dev engine, which Dockerfile.dev copies into the dev image${eol}!${options.engineDir}${eol}`);
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
 * The files @loa/plugin/plugin would give this project its targets from: <cloudflareDir>/wrangler.jsonc
 * and <dockerDir>/Dockerfile.dev, each when its folder is the project's (plugin.ts gives a file's targets
 * to the project that owns it). The registration names exactly these in its `include`, so that no other
 * wrangler.jsonc or Dockerfile.dev in the workspace gets our targets.
 */
function inferableFiles(tree: Tree, options: NormalizedSetupOptions): string[] {
  return [
    [options.cloudflareDir, 'wrangler.jsonc'],
    [options.dockerDir, 'Dockerfile.dev'],
  ]
    .filter(([dir]) => ownerOf(tree, dir, options) === options.projectRoot)
    .map(([dir, file]) => `${dir}/${file}`);
}

const isOurs = (entry: PluginConfiguration) => (typeof entry === 'string' ? entry : entry.plugin) === PLUGIN_NAME;

/** Whether a registration infers our target names: its options rename none of them. */
function ourTargetNames(entry: PluginConfiguration): boolean {
  if (typeof entry === 'string') return true;
  const given = (entry.options ?? {}) as Record<string, unknown>;
  return Object.entries(PLUGIN_OPTIONS).every(([name, value]) => given[name] === undefined || given[name] === value);
}

/**
 * Whether `file` matches `patterns` as Nx matches a registration's include or exclude (createMatcher in
 * nx's project-configuration-utils): globs with dot files; with a `!` pattern, in order, the last
 * match winning; no patterns at all is `empty` (an absent include takes every file, an absent exclude none).
 */
function matchesGlobs(patterns: readonly string[] | undefined, file: string, empty: boolean): boolean {
  if (!patterns || patterns.length === 0) return empty;
  let matched = patterns[0].startsWith('!');
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (picomatch(negated ? pattern.slice(1) : pattern, { dot: true })(file)) matched = !negated;
  }
  return matched;
}

/** Whether a registration has an include (an empty one takes every file, as none does). */
const scoped = (entry: PluginConfiguration): entry is ExpandedPluginConfiguration & { include: string[] } => typeof entry !== 'string' && (entry.include?.length ?? 0) > 0;
const takes = (entry: PluginConfiguration, file: string): boolean =>
  typeof entry === 'string' || (matchesGlobs(entry.include, file, true) && !matchesGlobs(entry.exclude, file, false));

/**
 * Registers the inference plugin in nx.json, scoped by `include` to `files` (inferableFiles), and returns
 * those of them it will infer our target names from. Nx hands a plugin only the files its registration's
 * include matches: without one, @loa/plugin/plugin would give deploy, smoke, image and the dev-* family
 * to every project with a wrangler.jsonc or Dockerfile.dev, an unrelated one's included.
 * - none registered: ours is added, `{ plugin, options, include: files }`;
 * - one with our target names and an include: the files it lacks are appended to that include (a second
 *   project's setup), nothing when it has them;
 * - one with our target names and no include (older versions wrote that): it infers from every such
 *   file, ours included; kept and named in a warning, scoped to `files` with --force;
 * - only ones with other target names or an exclude of our files: the user's, left alone (the caller
 *   then writes whole the targets nothing will infer);
 * - and in any case, the files the last run registered for this project and this one does not (`stale`)
 *   are taken out of our includes (unregisterStale).
 * nx.json is written only when something changes: updateNxJson reformats it.
 */
function registerPlugin(tree: Tree, files: string[], stale: string[], options: NormalizedSetupOptions, outcome: Outcome): Set<string> {
  // A workspace that opted out of inference (as Nx's own init generators honour it): no registration;
  // updateProject then writes the targets whole into project.json.
  if (readNxJson(tree)?.useInferencePlugins === false || process.env.NX_ADD_PLUGINS === 'false') return new Set();
  const entry = (): PluginConfiguration => ({ plugin: PLUGIN_NAME, options: { ...PLUGIN_OPTIONS }, include: [...files] });
  const nxJson = readNxJson(tree);
  // Nx runs without an nx.json; without the registration nothing would infer deploy, image or dev-*.
  if (!nxJson) {
    if (files.length > 0) writeJson(tree, 'nx.json', { $schema: './node_modules/nx/schemas/nx-schema.json', plugins: [entry()] });
    return new Set(files);
  }
  const plugins: PluginConfiguration[] = structuredClone(nxJson.plugins ?? []);
  unregisterStale(plugins, files, stale, outcome);
  if (files.length === 0) {
    if (!containsConfig(plugins, nxJson.plugins ?? [])) updateNxJson(tree, { ...nxJson, plugins });
    return new Set();
  }
  const ours = plugins.filter((candidate) => isOurs(candidate) && ourTargetNames(candidate));
  if (!plugins.some(isOurs)) plugins.push(entry());
  const broad = ours.find((candidate) => !scoped(candidate));
  if (broad !== undefined && options.force) {
    plugins[plugins.indexOf(broad)] = typeof broad === 'string' ? entry() : { ...broad, include: [...files] };
  } else if (broad !== undefined) {
    outcome.notices.push(
      `nx.json registers ${PLUGIN_NAME} without "include", so it gives its targets to every project with a wrangler.jsonc or Dockerfile.dev, not only ${options.project}: add "include": ${JSON.stringify(files)} to that entry (--force does)`,
    );
  } else {
    for (const file of files) {
      if (plugins.some((candidate) => isOurs(candidate) && ourTargetNames(candidate) && takes(candidate, file))) continue;
      const into = plugins.filter(scoped).find((candidate) => isOurs(candidate) && ourTargetNames(candidate) && !matchesGlobs(candidate.exclude, file, false));
      into?.include.push(file);
    }
  }
  if (!containsConfig(plugins, nxJson.plugins ?? [])) updateNxJson(tree, { ...nxJson, plugins });
  return new Set(files.filter((file) => plugins.some((candidate) => isOurs(candidate) && ourTargetNames(candidate) && takes(candidate, file))));
}

/**
 * Takes out of our registrations' include the files the last run registered for this project (`stale`:
 * its <cloudflareDir>/wrangler.jsonc and <dockerDir>/Dockerfile.dev) that this run does not (`files`): a
 * folder moved by the options (--preset=apps after deploy) would otherwise keep its old Dockerfile.dev
 * inferring `image` while compose builds the new one. Only entries naming exactly those files: a glob is
 * the user's. An include left empty would take every file: the entry gets this run's files instead, or
 * goes when there are none.
 */
function unregisterStale(plugins: PluginConfiguration[], files: string[], stale: string[], outcome: Outcome): void {
  const gone = stale.filter((file) => !files.includes(file));
  if (gone.length === 0) return;
  for (const [index, candidate] of [...plugins.entries()].reverse()) {
    if (!isOurs(candidate) || !ourTargetNames(candidate) || !scoped(candidate)) continue;
    const include = candidate.include.filter((file) => !gone.includes(file));
    if (include.length === candidate.include.length) continue;
    outcome.updated.push(`nx.json: ${candidate.include.filter((file) => gone.includes(file)).join(', ')} out of the include of ${PLUGIN_NAME} (no longer this project's)`);
    if (include.length > 0) candidate.include = include;
    else if (files.length > 0) candidate.include = [...files];
    else plugins.splice(index, 1);
  }
}

/**
 * Of `files`, those nx.json's registrations (as they are now) infer our target names from. Called before
 * registerPlugin for the last run's files: what was inferred for its options, so that what it wrote in
 * project.json (options-only where a file was inferred, whole where none was) is recognised as its own.
 */
function registeredFor(tree: Tree, files: string[]): Set<string> {
  const nxJson = readNxJson(tree);
  if (!nxJson || nxJson.useInferencePlugins === false || process.env.NX_ADD_PLUGINS === 'false') return new Set();
  const plugins = nxJson.plugins ?? [];
  return new Set(files.filter((file) => plugins.some((candidate) => isOurs(candidate) && ourTargetNames(candidate) && takes(candidate, file))));
}

function inferenceFor(tree: Tree, options: NormalizedSetupOptions, inferred: Set<string>): Inference {
  const wrangler = `${options.cloudflareDir}/wrangler.jsonc`;
  return {
    docker: inferred.has(`${options.dockerDir}/Dockerfile.dev`),
    wrangler: inferred.has(wrangler) && tree.exists(wrangler),
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

/** The content projects (identity, grimoires, .claude) outside the project that `options` name, as implicit dependencies; created when `create`. */
function contentDependencies(tree: Tree, options: NormalizedSetupOptions, create: boolean): string[] {
  const inProject = (path: string) => path === options.projectRoot || path.startsWith(`${options.projectRoot}/`);
  // Once each: --identityRoot and --claudeRoot may name the same folder as --grimoiresRoot.
  return [...new Set([options.identityRoot, options.grimoiresRoot, options.claudeRoot])]
    .filter((root) => !inProject(root))
    .flatMap((root) => (create ? [ensureContentProject(tree, root)] : [...getProjects(tree).entries()].filter(([, project]) => project.root === root).map(([name]) => name)));
}

function updateProject(
  tree: Tree,
  options: NormalizedSetupOptions,
  previous: { options: NormalizedSetupOptions; inferred: Set<string> } | undefined,
  inferred: Set<string>,
  outcome: Outcome,
): void {
  // The last run's before ensureContentProject: a project created now for a new root is no old dependency.
  const previousDependencies = previous === undefined ? [] : contentDependencies(tree, previous.options, false);
  const dependencies = contentDependencies(tree, options, true);
  // After writeTemplates: the starter identity, when written, has the script.
  const regenerateSoul = tree.exists(`${options.identityRoot}/src/regenerate-soul.ts`);
  const inference = inferenceFor(tree, options, inferred);
  const targets = projectTargets({ ...options, regenerateSoul }, inference);
  // What the last run wrote for its options: a target still holding that is ours to update, not an edit.
  // With the inference that held for them: a docker folder moved out of the project turns the inferred
  // image's options-only entry into a whole target, and this run's inference would not know the old entry.
  const before =
    previous === undefined
      ? {}
      : projectTargets(
          { ...previous.options, regenerateSoul },
          inferenceFor(tree, { ...previous.options, wranglerName: workerNameFrom(tree, previous.options.cloudflareDir) }, previous.inferred),
        );
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
  // The last run's dependencies these options no longer name (the recorded options say they were the
  // generator's): out, or `nx affected` would keep deploying on a change to a folder no longer used.
  const dropped = previousDependencies.filter((dependency) => !dependencies.includes(dependency));
  next.implicitDependencies = (current.implicitDependencies ?? []).filter((dependency) => !dropped.includes(dependency));
  for (const dependency of dependencies) if (!next.implicitDependencies.includes(dependency)) next.implicitDependencies.push(dependency);
  next.targets ??= {};
  for (const [name, target] of Object.entries(targets)) {
    const existing = next.targets[name];
    const ours = before[name] !== undefined && containsConfig(existing, before[name]);
    if (!existing) next.targets[name] = target;
    else if (ours && before[name].executor !== undefined && target.executor === undefined) {
      // Our whole target, now inferred (the docker folder moved into the project): only the options entry
      // stays, or the old one's executor and paths would override what the plugin infers.
      next.targets[name] = target;
      outcome.updated.push(`${options.projectRoot}/project.json target ${name}`);
    } else if (containsConfig(existing, target)) continue;
    else if (ours) {
      next.targets[name] = overlayConfig(existing, target);
      outcome.updated.push(`${options.projectRoot}/project.json target ${name}`);
    } else if (options.force) next.targets[name] = foreignExecutor(existing, target) ? target : overlayConfig(existing, target);
    else outcome.kept.push(`${options.projectRoot}/project.json target ${name}`);
  }
  // Whole targets the last run wrote that the plugin now infers (dev-build, … once Dockerfile.dev is in the
  // project again): out while still ours, else they would override the inferred ones with the old paths.
  for (const [name, target] of Object.entries(before)) {
    if (targets[name] !== undefined || target.executor === undefined || next.targets[name] === undefined || !containsConfig(next.targets[name], target)) continue;
    delete next.targets[name];
    outcome.updated.push(`${options.projectRoot}/project.json target ${name} (inferred now)`);
  }
  // Compared as JSON values: getProjects' objects carry symbol keys that structuredClone drops, so
  // isDeepStrictEqual would call every project changed, and updateProjectConfiguration reformats the file.
  if (!containsConfig(next, current) || !containsConfig(current, next)) updateProjectConfiguration(tree, options.project, next);
}

/**
 * The state file: the options of the last run, in the project's folder. With it, a file that differs
 * from this run's rendering but equals the last run's is the generator's own output for options that
 * have since changed (--gatewayPort=…): rewritten, not taken for an edit. Options, not the files'
 * hashes, so a new version of a template does not change it (that reads as an edit, as it always did).
 * Committed with the rest: without it (deleted, or written by an older version) a differing file is kept.
 */
const STATE_FILE = '.loa-setup.json';
/** The options the written files and targets depend on, as the state file records them. */
const RECORDED = ['preset', 'identityRoot', 'grimoiresRoot', 'claudeRoot', 'dockerDir', 'cloudflareDir', 'baseImage', 'workerName', 'gatewayPort', 'healthPort', 'memoryLimit', 'ci'] as const;

const statePath = (projectRoot: string) => (projectRoot === '.' ? STATE_FILE : `${projectRoot}/${STATE_FILE}`);

const recordedOf = (options: NormalizedSetupOptions) => Object.fromEntries(RECORDED.map((name) => [name, options[name]]));

/** What a recorded option must be to be taken (its value is checked as a given one's, in normalizeOptions). */
const RECORDED_TYPES: Record<(typeof RECORDED)[number], 'string' | 'number'> = {
  preset: 'string',
  identityRoot: 'string',
  grimoiresRoot: 'string',
  claudeRoot: 'string',
  dockerDir: 'string',
  cloudflareDir: 'string',
  baseImage: 'string',
  workerName: 'string',
  gatewayPort: 'number',
  healthPort: 'number',
  memoryLimit: 'string',
  ci: 'string',
};

interface State {
  /** The file as parsed (undefined when it is not JSON): compared with what recordOptions would write. */
  raw: unknown;
  /** The recorded options of the right type; a damaged one is left out, as if not recorded. */
  options: Record<string, unknown>;
  /** What is wrong with the file, for one warning (normalizeOptions). */
  problems: string[];
}

/**
 * The state file, damaged or not: a hand-edited or merge-mangled one keeps what is still good (so the
 * generator's own output stays recognised), and says what it dropped. A folder in its place would fail
 * only when the tree is flushed (EISDIR), with the rest written: an error now.
 */
function readState(tree: Tree, projectRoot: string): State | undefined {
  const path = statePath(projectRoot);
  if (!tree.exists(path)) return undefined;
  if (!tree.isFile(path)) {
    throw new SetupOptionsError(`${path} is a folder, but the generator records the options of its runs in a file there: move the folder away (or rename it) and run again`);
  }
  let raw: unknown;
  try {
    raw = parseJson(tree.read(path, 'utf-8') ?? '');
  } catch (error) {
    return { raw: undefined, options: {}, problems: [`it is not valid JSON (${String((error as Error).message).split('\n')[0]})`] };
  }
  const recorded = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as { options?: unknown }).options : undefined;
  if (!recorded || typeof recorded !== 'object' || Array.isArray(recorded)) {
    return { raw, options: {}, problems: [`"options" is ${JSON.stringify(recorded) ?? 'missing'}, not an object of options`] };
  }
  const options: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const name of RECORDED) {
    const value = (recorded as Record<string, unknown>)[name];
    if (value === undefined) continue;
    if (typeof value === RECORDED_TYPES[name]) options[name] = value;
    else problems.push(`"${name}": ${JSON.stringify(value)} is not a ${RECORDED_TYPES[name]}`);
  }
  return { raw, options, problems };
}

/** The options of the last run (this run's where the state file says nothing), or undefined when they are this run's or unknown. */
function previousOptions(tree: Tree, options: NormalizedSetupOptions): NormalizedSetupOptions | undefined {
  const recorded = readState(tree, options.projectRoot)?.options;
  if (!recorded || Object.keys(recorded).length === 0) return undefined;
  // Only compared with, never written to: a recorded path is rendered in memory, nothing goes there.
  const previous: NormalizedSetupOptions = { ...options };
  for (const name of RECORDED) if (typeof recorded[name] === typeof options[name]) Object.assign(previous, { [name]: recorded[name] });
  return containsConfig(recordedOf(previous), recordedOf(options)) ? undefined : previous;
}

function recordOptions(tree: Tree, options: NormalizedSetupOptions): void {
  const state = {
    $comment: 'nx g @loa/plugin:setup: the options of its last run, so that a rerun with other options updates its own output and keeps your edits. Keep it committed.',
    options: recordedOf(options),
  };
  const current = readState(tree, options.projectRoot)?.raw;
  // Compared as JSON values: the workspace's formatter may have laid the file out its own way.
  if (current === undefined || !containsConfig(current, state)) writeJson(tree, statePath(options.projectRoot), state);
}

const lexists = (path: string) => {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
};

const within = (realRoot: string, real: string) => real === realRoot || real.startsWith(`${realRoot}${sep}`);

/** The first symlink from the workspace root down to `path` that resolves outside the workspace. */
function linkLeaving(root: string, realRoot: string, path: string): string | undefined {
  let current = root;
  for (const segment of relative(root, path).split(sep)) {
    current = join(current, segment);
    if (lstatSync(current).isSymbolicLink() && !within(realRoot, realpathSync(current))) return current;
  }
  return undefined;
}

/**
 * Why Nx could not write `change` where it goes (undefined when it can). Nx writes the tree after the
 * generator returns, one file after another (flushChanges), and stops at the first it cannot write, with
 * the ones before it written: so every change is checked here, before anything is. The deepest part of
 * the path that exists (the file itself when it does) is resolved: through a symlink it may leave the
 * workspace; then it must be a file Nx may overwrite, or a folder it may create the rest in.
 */
function destinationProblem(root: string, realRoot: string, change: FileChange): string | undefined {
  const target = join(root, change.path);
  let existing = target;
  while (!lexists(existing)) existing = dirname(existing);
  const shown = relative(root, existing) || '.';
  let real: string;
  try {
    real = realpathSync(existing);
  } catch {
    return `Cannot write ${change.path}: ${shown} is a symlink to nothing; nothing was written: remove the link (or make it point inside the workspace) and run again`;
  }
  if (!within(realRoot, real)) {
    // The link that leaves: a folder on the way (libs → /elsewhere) or the file itself (a linked compose file).
    const link = linkLeaving(root, realRoot, existing) ?? existing;
    const what = statSync(link).isDirectory() ? 'a folder in the workspace, or choose another path' : 'a copy of the file it points to';
    return `Refusing to write ${change.path}: ${relative(root, link) || '.'} resolves to ${realpathSync(link)}, outside the workspace (${realRoot}); nothing was written: replace the symlink with ${what}, and run again`;
  }
  // Written in place: the file itself. Created (the rest of the path under `existing`) or deleted: a folder.
  const inPlace = existing === target && change.type !== 'DELETE';
  const folder = inPlace ? undefined : existing === target ? realpathSync(dirname(target)) : real;
  const named = folder === undefined ? change.path : relative(realRoot, folder) || '.';
  if (folder !== undefined && !statSync(folder).isDirectory()) {
    return `Cannot write ${change.path}: ${named} is a file where a folder is needed; nothing was written: move it away and run again`;
  }
  try {
    accessSync(folder ?? real, folder === undefined ? constants.W_OK : constants.W_OK | constants.X_OK);
  } catch {
    return `Cannot write ${change.path}: ${named} is not writable for this user; nothing was written: make it writable (chmod u+w ${named}) or run as its owner, and run again`;
  }
  // Nx sets a start script's mode after writing it, and chmod is the owner's (or root's) only.
  const uid = process.geteuid?.();
  if (inPlace && change.options?.mode !== undefined && uid !== undefined && uid !== 0 && statSync(real).uid !== uid) {
    return `Cannot make ${change.path} executable: it belongs to another user; nothing was written: take it over (chown it, or copy it over itself) and run again`;
  }
  return undefined;
}

/** Throws, naming every file and its fix, when Nx could not write all of the tree's changes; a tree with no folder on disk (a test's) is never written. */
function checkDestinations(tree: Tree): void {
  if (!existsSync(tree.root)) return;
  const realRoot = realpathSync(tree.root);
  const problems = tree.listChanges().flatMap((change) => destinationProblem(tree.root, realRoot, change) ?? []);
  if (problems.length > 0) throw new SetupOptionsError(problems.join('\n'));
}

export async function setupGenerator(tree: Tree, schema: SetupGeneratorSchema): Promise<GeneratorCallback | undefined> {
  const options = normalizeOptions(tree, schema);
  const outcome: Outcome = { kept: [], differing: [], updated: [], notices: [], foreign: [] };
  const previous = previousOptions(tree, options);
  writeTemplates(tree, options, previous, outcome);
  // The workflow the last run wrote still deploys on every push: said, not deleted (it may be the user's by now).
  const workflow = '.github/workflows/cloudflare-deploy.yml';
  if (options.ci === 'none' && previous?.ci === 'github' && tree.exists(workflow)) {
    outcome.notices.push(`--ci=none writes no workflow, but ${workflow} (from the last run, --ci=github) is still there and deploys on every push to main: delete it if you no longer want that`);
  }
  updateGitignore(tree);
  updateDockerignore(tree, options);
  // What the last run may have registered for this project: out of the include when this run moved it.
  const stale = previous === undefined ? [] : [`${previous.cloudflareDir}/wrangler.jsonc`, `${previous.dockerDir}/Dockerfile.dev`];
  // Read before registerPlugin changes nx.json: what was inferred for the last run's options.
  const last = previous === undefined ? undefined : { options: previous, inferred: registeredFor(tree, inferableFiles(tree, previous)) };
  // Registered first: updateProject writes whole the targets the registration will not infer.
  const inferred = registerPlugin(tree, inferableFiles(tree, options), stale, options, outcome);
  updateProject(tree, options, last, inferred, outcome);
  recordOptions(tree, options);
  // `nx g` runs the install this returns (only when package.json changed), after writing the files.
  const install = options.skipPackageJson || !tree.exists('package.json') ? undefined : addDependenciesToPackageJson(tree, {}, { wrangler: WRANGLER_VERSION }, undefined, true);
  if (!options.skipPackageJson && !tree.exists('package.json')) {
    // Nx runs without a package.json (an installed nx elsewhere); deploy-cf then finds no wrangler.
    outcome.notices.push(`The workspace has no package.json, so wrangler (which deploy runs) was not added: create one and add it before deploying (npm i -D wrangler@${WRANGLER_VERSION})`);
  }
  if (!options.skipFormat) await formatFiles(tree);
  settleEdited(tree, outcome);
  // Last: Nx writes the tree to disk only after this returns.
  checkDestinations(tree);
  if (outcome.updated.length > 0) {
    logger.info(`Updated for the options that changed (the generator's own output for the options in ${statePath(options.projectRoot)}):\n${outcome.updated.map((item) => `  - ${item}`).join('\n')}`);
  }
  if (outcome.kept.length > 0) {
    logger.warn(
      `Kept what differs from the generator's output for these options: your edits (or files written by another version of it, or before ${statePath(options.projectRoot)} recorded the options); run again with --force to replace them with the generator's version:\n${outcome.kept.map((item) => `  - ${item}`).join('\n')}`,
    );
  }
  for (const { project, state } of new Set(outcome.foreign.map(({ stack }) => stack))) {
    const list = outcome.foreign.flatMap(({ item, stack }) => (stack.project === project ? [`  - ${item}`] : [])).join('\n');
    logger.warn(
      options.force
        ? `Moved the workspace's dev stack from project ${project} (${state}) to ${options.project} (--force): a workspace has one dev stack, and make dev, the compose file and the deploy workflow now run ${options.project}, not ${project}; run the generator for ${project} with --force to move it back:\n${list}`
        : `Kept, as project ${project}'s dev stack (${state} records it): a workspace has one dev stack (one compose file, Makefile and deploy workflow at its root), and it is ${project}'s; --force would move it to ${options.project}, and make dev, the compose file and the deploy workflow would then run ${options.project}, not ${project}:\n${list}`,
    );
  }
  for (const notice of outcome.notices) logger.warn(notice);
  return install;
}

export default setupGenerator;
