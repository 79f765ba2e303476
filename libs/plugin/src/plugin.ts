// Inferred targets: a file implies targets, as @nx/docker infers `docker:build` from a Dockerfile.
//   <dir>/wrangler.jsonc  → deploy, smoke            (the Worker in <dir>)
//   <dir>/Dockerfile.dev  → image, dev-build, dev-shell, dev-logs, dev-down, dev-clean
// The targets go to the project that owns the file (the nearest folder above it with a project.json):
// the file never makes a project of its own. Whatever that project.json says about a target wins: Nx
// merges explicit configuration over what a plugin infers.
//
// Which files: those the registration in nx.json takes. The targets are this deployment's (dev-* drives
// the one docker-compose.dev.yml, deploy smoke-tests /sandbox-health and /api/status), so a registration
// names its files in `include` (`nx g @loa/plugin:setup` writes it so), and Nx hands this plugin only
// those: another project's Dockerfile.dev or Worker gets nothing. Without an include Nx hands it every
// wrangler.jsonc and Dockerfile.dev, as it hands @nx/docker every Dockerfile. Nx filters before calling
// createNodes and does not pass the registration, so the plugin cannot tell the two apart; a second
// list of files in the options would only be a copy of include that can disagree with it.
//
// Nx loads this module for every project graph computation, in a plugin worker: it imports nothing of
// the dev engine (chokidar, execa), and only types from @nx/devkit (loading it cost ~0.4 s a graph with
// the daemon off), just what reading the wrangler config needs.
import type { CreateNodes, CreateNodesResult, TargetConfiguration } from '@nx/devkit';
import { existsSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { workerName } from './lib/wrangler/wrangler.ts';

export interface LoaPluginOptions {
  /** Name of the target inferred from wrangler.jsonc that deploys the Worker (default `deploy`). */
  deployTargetName?: string;
  /** Name of the target inferred from wrangler.jsonc that smoke-tests the deployed Worker (default `smoke`). */
  smokeTargetName?: string;
  /** Name of the target inferred from Dockerfile.dev that builds the dev image (default `image`). */
  imageTargetName?: string;
  /** Prefix of the docker dev targets inferred from Dockerfile.dev: `<prefix>-build`, `-shell`, … (default `dev`). */
  devTargetName?: string;
}

type Names = Required<LoaPluginOptions>;

export const WRANGLER_CONFIG = 'wrangler.jsonc';
export const DEV_DOCKERFILE = 'Dockerfile.dev';
const PLUGIN_GLOB = `**/{${WRANGLER_CONFIG},${DEV_DOCKERFILE}}`;

function normalizeOptions(options: LoaPluginOptions | undefined): Names {
  return {
    deployTargetName: options?.deployTargetName ?? 'deploy',
    smokeTargetName: options?.smokeTargetName ?? 'smoke',
    imageTargetName: options?.imageTargetName ?? 'image',
    devTargetName: options?.devTargetName ?? 'dev',
  };
}

/** The root of the project that owns `file` (workspace-relative, `.` for a root project), or undefined. */
export function owningProjectRoot(file: string, workspaceRoot: string): string | undefined {
  for (let dir = posix.dirname(file); ; dir = posix.dirname(dir)) {
    if (existsSync(join(workspaceRoot, dir, 'project.json'))) return dir;
    if (dir === '.' || dir === '/') return undefined;
  }
}

/** Targets implied by `<dir>/wrangler.jsonc`: deploy the Worker there, and smoke-test it once deployed. */
export function wranglerTargets(file: string, names: Names, workspaceRoot: string): Record<string, TargetConfiguration> {
  const dir = posix.dirname(file);
  const targets: Record<string, TargetConfiguration> = {
    [names.deployTargetName]: {
      executor: '@loa/plugin:deploy-cf',
      cache: false,
      options: { cwd: dir, outDir: posix.join('dist', dir), workerFiles: [dir === '.' ? '**' : `${dir}/**`] },
      configurations: { 'dry-run': { dryRun: true } },
      metadata: {
        technologies: ['cloudflare'],
        description: `wrangler deploy of the Worker in ${dir} (Worker only when nothing else changed), a smoke test of /sandbox-health and /api/status, and wrangler rollback when it fails; :dry-run bundles offline`,
      },
    },
  };
  // The smoke URL needs the Worker's name. A config without a readable one infers no smoke target: the
  // deploy target reports the problem (with the file, line and column) when it runs, and a plugin
  // that throws here would break every Nx command in the workspace.
  let name: string | undefined;
  try {
    name = workerName(join(workspaceRoot, file), workspaceRoot);
  } catch {
    name = undefined;
  }
  if (name) {
    targets[names.smokeTargetName] = {
      executor: '@loa/plugin:smoke',
      cache: false,
      options: { urls: [`https://${name}.\${CF_SUBDOMAIN}.workers.dev/sandbox-health`] },
      metadata: {
        technologies: ['cloudflare'],
        description: `Checks the deployed Worker ${name} (https://${name}.$CF_SUBDOMAIN.workers.dev/sandbox-health) with retries; --url=… checks another URL`,
      },
    };
  }
  return targets;
}

const DEV_ACTIONS = [
  ['build', true, 'Rebuilds the dev image, then starts the dev container (docker compose up) with hot reload, as dev does'],
  ['shell', false, 'Opens a shell in the running dev container'],
  ['logs', true, "Follows the dev container's logs"],
  ['down', false, 'Stops the dev containers; the data volume is kept'],
  ['clean', false, 'Stops the dev containers and removes the data volume (write-ahead log, SOUL.md)'],
] as const;

/** Targets implied by `<dir>/Dockerfile.dev`: build the dev image, and drive the dev container. */
export function devDockerfileTargets(file: string, names: Names): Record<string, TargetConfiguration> {
  const dir = posix.dirname(file);
  const targets: Record<string, TargetConfiguration> = {
    [names.imageTargetName]: {
      executor: '@loa/plugin:image',
      cache: false,
      options: { dockerfile: file, productionDockerfile: posix.join(dir, 'Dockerfile') },
      metadata: {
        technologies: ['docker'],
        description: `Builds the dev image from ${file} on the production image (baseImage; when it cannot be had, ${posix.join(dir, 'Dockerfile')} is built locally as the base) and reports its size against the budget`,
      },
    },
  };
  for (const [action, continuous, description] of DEV_ACTIONS) {
    targets[`${names.devTargetName}-${action}`] = {
      executor: '@loa/plugin:dev',
      ...(continuous ? { continuous: true } : {}),
      options: { runtime: 'docker', action },
      metadata: { technologies: ['docker'], description },
    };
  }
  return targets;
}

function inferTargets(file: string, root: string, names: Names, workspaceRoot: string): CreateNodesResult {
  const targets = basename(file) === WRANGLER_CONFIG ? wranglerTargets(file, names, workspaceRoot) : devDockerfileTargets(file, names);
  return { projects: { [root]: { targets } } };
}

/**
 * Each file with the project it gives targets to, or undefined. A project owns one file of each kind:
 * with two (deploy/cloudflare/wrangler.jsonc and deploy/staging/wrangler.jsonc), Nx would merge both
 * `deploy` targets and the last path alphabetically would silently win, so the one nearest the project's
 * root does (the first alphabetically among equals); project.json configures any other.
 */
export function owners(files: readonly string[], workspaceRoot: string): Map<string, string | undefined> {
  const roots = new Map(files.map((file) => [file, owningProjectRoot(file, workspaceRoot)] as const));
  const chosen = new Map<string, string>();
  const depth = (file: string) => file.split('/').length;
  for (const file of [...files].sort()) {
    const root = roots.get(file);
    if (root === undefined) continue;
    const key = `${root}\0${basename(file)}`;
    const current = chosen.get(key);
    if (current === undefined || depth(file) < depth(current)) chosen.set(key, file);
  }
  const kept = new Set(chosen.values());
  return new Map(files.map((file) => [file, kept.has(file) ? roots.get(file) : undefined] as const));
}

export const createNodes: CreateNodes<LoaPluginOptions> = [
  PLUGIN_GLOB,
  (files, options, context) => {
    const names = normalizeOptions(options);
    const owner = owners(files, context.workspaceRoot);
    // inferTargets never throws (an unreadable wrangler.jsonc only drops smoke), so there are no
    // per-file errors for createNodesFromFiles to gather.
    return files.map((file) => {
      const root = owner.get(file);
      return [file, root === undefined ? {} : inferTargets(file, root, names, context.workspaceRoot)] as const;
    });
  },
];

/** Nx 23 reads `createNodes`; the V2 name is its deprecated alias, kept for tools that still ask for it. */
export const createNodesV2 = createNodes;
