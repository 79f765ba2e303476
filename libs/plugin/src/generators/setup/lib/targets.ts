// The deployment project's targets, built from the chosen paths by pure functions (as
// @nx/node's create-targets does), so a test can compare them with this repository's project.json.
import type { TargetConfiguration } from '@nx/devkit';

export interface TargetPaths {
  project: string;
  identityRoot: string;
  grimoiresRoot: string;
  claudeRoot: string;
  dockerDir: string;
  cloudflareDir: string;
  baseImage: string;
  workerName: string;
  gatewayPort: number;
  healthPort: number;
  /** Whether <identityRoot>/src/regenerate-soul.ts exists (the starter has it; a user's service may not). Default true. */
  regenerateSoul?: boolean;
}

const inside = (child: string, parent: string) => child === parent || child.startsWith(`${parent}/`);

/** Other code (identity, the Worker) lives in the docker folder (the seed's deploy/): name its docker files, not the folder. */
const dockerDirShared = (paths: TargetPaths) => inside(paths.identityRoot, paths.dockerDir) || inside(paths.cloudflareDir, paths.dockerDir);

/** What `dev` watches for image inputs: the whole docker folder, unless other code lives in it (the seed's deploy/). */
export function imageInputGlobs(paths: TargetPaths): string[] {
  const docker = dockerDirShared(paths)
    ? ['Dockerfile', 'Dockerfile.dev', 'start-loa.sh', 'start-loa-dev.sh'].map((file) => `${paths.dockerDir}/${file}`)
    : [`${paths.dockerDir}/**`];
  return [...docker, 'docker-compose.dev.yml'];
}

/** The dev target's processes and routing rules for these paths (what the README's table describes). */
export function devTarget(paths: TargetPaths): TargetConfiguration {
  const { identityRoot, grimoiresRoot, claudeRoot, gatewayPort, healthPort } = paths;
  return {
    executor: '@loa/plugin:dev',
    continuous: true,
    metadata: {
      description:
        'The dev loop with hot reload: starts identity and the gateway (natively, or in the dev container when Docker is reachable), restarts only what a change affects and says what reloaded and how long it took',
    },
    options: {
      runtime: 'auto',
      env: {
        LOA_DATA_DIR: '${LOA_DATA_DIR:-.loa/data}',
        LOA_GRIMOIRES_DIR: `\${LOA_GRIMOIRES_DIR:-${grimoiresRoot}}`,
        LOA_WORKSPACE_DIR: '${LOA_WORKSPACE_DIR:-.loa/workspace}',
        LOA_IDENTITY_PORT: String(healthPort),
        CLAUDE_CONFIG_DIR: `\${CLAUDE_CONFIG_DIR:-${claudeRoot}}`,
        BEAUVOIR_DEV_MODE: '1',
      },
      processes: [
        {
          name: 'identity',
          command: 'node',
          args: [`${identityRoot}/src/main.ts`],
          health: { http: `http://127.0.0.1:${healthPort}/health`, accept: ['json'] },
          standby: true,
        },
        {
          name: 'gateway',
          command: ['${LOA_GATEWAY_BIN}', 'openclaw', 'clawdbot'],
          args: ['gateway', '--port', String(gatewayPort), '--bind', '${LOA_GATEWAY_BIND:-loopback}', '--allow-unconfigured', '--verbose'],
          env: {
            OPENCLAW_STATE_DIR: '.loa/openclaw',
            OPENCLAW_WORKSPACE_DIR: '${LOA_WORKSPACE_DIR}',
            OPENCLAW_SKIP_CHANNELS: '1',
            OPENCLAW_SKIP_CRON: '1',
            OPENCLAW_SKIP_GMAIL_WATCHER: '1',
            OPENCLAW_SKIP_CANVAS_HOST: '1',
            OPENCLAW_SKIP_BROWSER_CONTROL_SERVER: '1',
          },
          health: { http: `http://127.0.0.1:${gatewayPort}/health`, accept: ['json', 'html'], tcpFallback: true },
          whenMissing: 'skip',
          startTimeoutMs: 120000,
        },
      ],
      // First match wins: the specific rules come before the general ones.
      rules: [
        { match: [`${identityRoot}/**/*.ts`, `${claudeRoot}/lib/**/*.ts`], restart: ['identity'] },
        paths.regenerateSoul === false
          ? // No script to regenerate SOUL.md alone: identity regenerates it when it starts.
            {
              match: [`${grimoiresRoot}/loa/BEAUVOIR.md`],
              restart: ['identity'],
              notify: `persona updated: identity restarted to regenerate SOUL.md (${identityRoot}/src/regenerate-soul.ts would do it without a restart)`,
            }
          : {
              match: [`${grimoiresRoot}/loa/BEAUVOIR.md`],
              run: { command: 'node', args: [`${identityRoot}/src/regenerate-soul.ts`] },
              restart: [],
              notify:
                'persona updated: new gateway sessions use the new SOUL.md, no restart needed (add "gateway" to this rule\'s restart to restart it anyway)',
            },
        { match: [`${grimoiresRoot}/**`, `${claudeRoot}/**`], notify: 'mounted live, nothing to restart' },
        { match: imageInputGlobs(paths), notify: `image inputs changed: run \`npx nx run ${paths.project}:dev-build\` to rebuild` },
      ],
    },
  };
}

/** What a full deploy rebuilds the image for: what the production Dockerfile copies in. */
export function deployImageInputs(paths: TargetPaths): string[] {
  const docker = dockerDirShared(paths) ? ['Dockerfile', 'start-loa.sh'].map((file) => `${paths.dockerDir}/${file}`) : [`${paths.dockerDir}/**`];
  return [...docker, `${paths.claudeRoot}/**`, `${paths.grimoiresRoot}/**`, `${paths.identityRoot}/**`, '.dockerignore'];
}

/** What @loa/plugin/plugin will infer for the project: only from files whose nearest project.json is the project's. */
export interface Inference {
  /** <dockerDir>/Dockerfile.dev gives image and the dev-* family. */
  docker: boolean;
  /** <cloudflareDir>/wrangler.jsonc gives deploy, and smoke when it names the Worker (wranglerName). */
  wrangler: boolean;
  wranglerName?: string;
}

const dockerAction = (action: string, description: string, continuous = false): TargetConfiguration => ({
  executor: '@loa/plugin:dev',
  ...(continuous ? { continuous: true } : {}),
  metadata: { description },
  options: { runtime: 'docker', action },
});

/**
 * The targets project.json must carry. The rest is inferred by @loa/plugin/plugin (plugin.ts): deploy
 * and smoke from wrangler.jsonc, image and the dev-* family from Dockerfile.dev. An entry without an
 * executor only adds options, which Nx lays over the inferred target; where nothing will be inferred (no
 * wrangler.jsonc yet, a folder outside the project) the whole target is written, with its description.
 */
export function projectTargets(paths: TargetPaths, inference: Inference): Record<string, TargetConfiguration> {
  const smokeUrls = [`https://${paths.workerName}.\${CF_SUBDOMAIN}.workers.dev/sandbox-health`];
  const targets: Record<string, TargetConfiguration> = { dev: devTarget(paths) };
  if (inference.docker) {
    targets.image = { options: { baseImage: paths.baseImage } };
  } else {
    targets.image = {
      executor: '@loa/plugin:image',
      cache: false,
      metadata: { description: `Builds the dev image from ${paths.dockerDir}/Dockerfile.dev on baseImage (the production Dockerfile when it cannot be had)` },
      options: { dockerfile: `${paths.dockerDir}/Dockerfile.dev`, productionDockerfile: `${paths.dockerDir}/Dockerfile`, baseImage: paths.baseImage },
    };
    targets['dev-build'] = dockerAction('build', 'Rebuilds the dev image, then starts the dev container', true);
    targets['dev-shell'] = dockerAction('shell', 'Opens a shell in the running dev container');
    targets['dev-logs'] = dockerAction('logs', "Follows the dev container's logs", true);
    targets['dev-down'] = dockerAction('down', 'Stops the dev containers; the data volume is kept');
    targets['dev-clean'] = dockerAction('clean', 'Stops the dev containers and removes the data volume (WAL, SOUL.md)');
  }
  const imageInputs = deployImageInputs(paths);
  targets.deploy = inference.wrangler
    ? { options: { imageInputs } }
    : {
        executor: '@loa/plugin:deploy-cf',
        cache: false,
        metadata: { description: `wrangler deploy of ${paths.cloudflareDir}, then a smoke test, rolled back when it fails` },
        options: { cwd: paths.cloudflareDir, outDir: `dist/${paths.cloudflareDir}`, workerFiles: [`${paths.cloudflareDir}/**`], imageInputs },
        configurations: { 'dry-run': { dryRun: true } },
      };
  if (!inference.wrangler || !inference.wranglerName) {
    targets.smoke = {
      executor: '@loa/plugin:smoke',
      cache: false,
      metadata: { description: `Checks the deployed Worker ${paths.workerName} answers /sandbox-health` },
      options: { urls: smokeUrls },
    };
  } else if (paths.workerName !== inference.wranglerName) {
    // Inferred from wrangler.jsonc's name; overridden only when --workerName names another Worker.
    targets.smoke = { options: { urls: smokeUrls } };
  }
  return targets;
}

/** True when every key of `wanted` is in `actual` with the same value (arrays compared whole); extra keys in `actual` are the user's. */
export function containsConfig(actual: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted)) {
    return Array.isArray(actual) && actual.length === wanted.length && wanted.every((item, index) => containsConfig(actual[index], item) && containsConfig(item, actual[index]));
  }
  if (wanted && typeof wanted === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return false;
    return Object.entries(wanted).every(([key, value]) => containsConfig((actual as Record<string, unknown>)[key], value));
  }
  return actual === wanted;
}

/** `wanted` laid over `actual`: the generator's keys replaced, the user's extra keys (configurations, metadata) kept. */
export function overlayConfig<T>(actual: T, wanted: T): T {
  if (!wanted || typeof wanted !== 'object' || Array.isArray(wanted) || !actual || typeof actual !== 'object' || Array.isArray(actual)) return wanted;
  const result: Record<string, unknown> = { ...(actual as Record<string, unknown>) };
  for (const [key, value] of Object.entries(wanted)) result[key] = overlayConfig(result[key], value);
  return result as T;
}
