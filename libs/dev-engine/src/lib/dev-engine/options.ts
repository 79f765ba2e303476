import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import which from 'which';
import { expand } from '../env/expand.ts';
import type { DevExecutorSchema } from './schema.d.ts';
import schema from './schema.json' with { type: 'json' };
import { OptionsError, validateOptions } from '../schema/validate.ts';
import type { ProcessSpec } from '../supervisor/managed-process.ts';
import type { ReloadRule } from '../watch/rules.ts';
import { nodeAtLeast } from '../process/node-version.ts';

export { OptionsError };

/** What the engine reads of the dev target's options (the docker runtime reads the rest). */
export type DevEngineOptions = Pick<
  DevExecutorSchema,
  'env' | 'processes' | 'rules' | 'dataDir' | 'debounceMs' | 'burstDebounceMs' | 'usePolling' | 'pollIntervalMs' | 'graceMs' | 'startTimeoutMs' | 'ignore'
>;

export interface NormalizedDevOptions {
  root: string;
  processes: ProcessSpec[];
  /** Processes whose program is not installed and that may be skipped: name → notice. */
  skipped: Map<string, string>;
  rules: ReloadRule[];
  /** The environment shared by every process and rule command. */
  env: NodeJS.ProcessEnv;
  dataDir: string;
  watch: { debounceMs: number; burstDebounceMs: number; usePolling: boolean; pollIntervalMs: number; ignoreNames: string[] };
}

/** Folder names never watched: dependencies, VCS, Nx's cache, build output. */
export const ALWAYS_IGNORED = ['node_modules', '.git', '.nx', 'dist', 'coverage', 'tmp'];

const NODE_TS_MIN = [22, 18] as const;

/**
 * Finds the program to run. `node` means the Node that runs this engine: the workspace brings Node 22,
 * while the PATH of a fresh machine may still put an older Node first.
 */
export function resolveCommand(candidates: string[], env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  for (const raw of candidates) {
    const candidate = expand(raw, env).trim();
    if (!candidate) continue;
    if (candidate === 'node') return process.execPath;
    if (candidate.includes('/')) {
      const path = isAbsolute(candidate) ? candidate : resolve(cwd, candidate);
      if (existsSync(path)) return path;
      continue;
    }
    const found = which.sync(candidate, { path: env.PATH ?? '', nothrow: true });
    if (found) return found;
  }
  return undefined;
}

/**
 * What a schema cannot say: unique names, rules that name real processes and do something. (No
 * processes is fine here: dev-clean, dev-down and the docker runtime's targets run none on this host.)
 */
function crossChecks(options: Pick<DevExecutorSchema, 'processes' | 'rules'>): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const p of options.processes ?? []) {
    if (names.has(p.name)) problems.push(`process name "${p.name}" is used twice in "processes" — give each process its own name`);
    names.add(p.name);
  }
  for (const [index, rule] of (options.rules ?? []).entries()) {
    if (!rule.match?.length) problems.push(`rules[${index}] has no "match" globs — add at least one glob`);
    for (const name of rule.restart ?? []) {
      if (!names.has(name)) problems.push(`rules[${index}] restarts "${name}", which is not a process — use one of: ${[...names].join(', ')}`);
    }
    if (!rule.restart?.length && !rule.run && !rule.notify) problems.push(`rules[${index}] does nothing — give it "restart", "run" or "notify"`);
  }
  return problems;
}

/**
 * The dev options as the executor and the standalone engine both get them: checked against schema.json
 * (defaults filled) and against each other. Throws an OptionsError, one line per problem.
 */
export function validateDevOptions(options: unknown): DevExecutorSchema {
  const valid = validateOptions<DevExecutorSchema>(schema, options);
  const problems = crossChecks(valid);
  if (problems.length) throw new OptionsError(problems);
  return valid;
}

/** Resolves programs, paths and the environment of options that validateDevOptions accepted. */
export function normalizeDevOptions(
  options: DevEngineOptions,
  root: string,
  baseEnv: NodeJS.ProcessEnv,
  envFileValues: Record<string, string> = {},
): NormalizedDevOptions {
  const problems = crossChecks(options);
  if (!options.processes?.length) problems.unshift('no processes configured — add at least one entry to the "processes" option of the dev target');
  if (problems.length) throw new OptionsError(problems);

  // .env.local wins over the shell, as compose's env_file does; the target's own env (ports, dirs) wins over both.
  const sharedEnv: NodeJS.ProcessEnv = { ...baseEnv, ...envFileValues };
  // `${LOA_DATA_DIR:-.loa/data}` (the default) read like the env below reads it: the folder identity uses.
  const dataDir = resolve(root, expand(options.dataDir, sharedEnv));
  for (const [key, value] of Object.entries(options.env ?? {})) sharedEnv[key] = expand(value, sharedEnv);
  const skipped = new Map<string, string>();
  const processes: ProcessSpec[] = [];
  for (const p of options.processes) {
    const cwd = resolve(root, p.cwd ?? '.');
    const env: NodeJS.ProcessEnv = { ...sharedEnv };
    for (const [key, value] of Object.entries(p.env ?? {})) env[key] = expand(value, env);
    const candidates = Array.isArray(p.command) ? p.command : [p.command];
    const command = resolveCommand(candidates, env, cwd);
    if (!command) {
      const tried = candidates.map((c) => expand(c, env)).filter(Boolean).join(', ');
      if ((p.whenMissing ?? 'fail') === 'skip') {
        skipped.set(p.name, `${p.name} skipped: ${tried} not installed`);
        continue;
      }
      throw new OptionsError(`${p.name}: ${tried} not found — install it or fix the "command" of process "${p.name}"`);
    }
    const args = (p.args ?? []).map((arg) => expand(arg, env));
    if (command === process.execPath && args.some((arg) => arg.endsWith('.ts')) && !nodeAtLeast(NODE_TS_MIN)) {
      throw new OptionsError(
        `${p.name} runs TypeScript directly, which needs Node ≥ ${NODE_TS_MIN.join('.')}; this is Node ${process.versions.node} — ` +
          `install a newer Node, or add the node package (22) to the workspace's devDependencies: \`npx nx run ${baseEnv.NX_TASK_TARGET_PROJECT || '<project>'}:dev\` then runs on it`,
      );
    }
    if (p.standby && (command !== process.execPath || !args.some((arg) => !arg.startsWith('-')))) {
      throw new OptionsError(`${p.name}: "standby" works only for \`node <script>\` — remove it or run the script with command "node"`);
    }
    processes.push({
      name: p.name,
      standby: p.standby ?? false,
      command,
      args,
      cwd,
      env,
      health: p.health,
      startTimeoutMs: p.startTimeoutMs ?? options.startTimeoutMs,
      graceMs: options.graceMs,
    });
  }
  return {
    root,
    processes,
    skipped,
    rules: options.rules,
    env: sharedEnv,
    dataDir,
    watch: {
      debounceMs: options.debounceMs,
      burstDebounceMs: options.burstDebounceMs,
      usePolling: options.usePolling || /^(1|true)$/i.test(baseEnv.CHOKIDAR_USEPOLLING ?? ''),
      pollIntervalMs: options.pollIntervalMs,
      ignoreNames: [...new Set([...ALWAYS_IGNORED, ...options.ignore])],
    },
  };
}
