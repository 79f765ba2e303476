import { resolve } from 'node:path';
import which from 'which';
import { parse } from 'yaml';
import { runCommand } from '../exec/exec.ts';
import { RuntimeError } from '../runtime/runtime.ts';

/** How to call Compose here: the v2 plugin (`docker compose`) or v1 (`docker-compose`). */
export interface ComposeCli {
  command: string;
  prefix: string[];
  version: 'v2' | 'v1';
}

export interface ComposeTarget {
  cli: ComposeCli;
  root: string;
  files: string[];
  projectName?: string;
}

/** `docker compose -f a.yml -f b.yml [-p name] <args>` as an argument array. */
export function composeArgs(target: ComposeTarget, args: readonly string[]): string[] {
  const files = target.files.flatMap((file) => ['-f', resolve(target.root, file)]);
  const project = target.projectName ? ['-p', target.projectName] : [];
  // Plain lines: the output is relayed, not drawn on a terminal.
  const ansi = target.cli.version === 'v2' ? ['--ansi', 'never'] : ['--no-ansi'];
  return [...target.cli.prefix, ...ansi, ...files, ...project, ...args];
}

/**
 * Detached, and recreated so its engine prints a fresh ready line. Detached because a foreground
 * `up` dies badly under Nx: on Ctrl+C Nx signals the task's process tree leaves first, so Compose sees
 * a second signal, takes it for "force" and SIGKILLs the container.
 */
export const upArgs = (build: boolean) => ['up', '--detach', '--force-recreate', ...(build ? ['--build'] : [])];
export const followLogsArgs = (service: string, since: Date) => ['logs', '--follow', '--no-log-prefix', '--since', since.toISOString(), service];
export const downArgs = (removeVolumes: boolean) => ['down', ...(removeVolumes ? ['-v', '--remove-orphans'] : [])];
export const execShellArgs = (service: string) => ['exec', service, 'bash'];
export const logsArgs = (service: string) => ['logs', '-f', service];

/** The docker CLI's path when it and its daemon answer; else why not, naming the fix. */
export async function detectDocker(env: NodeJS.ProcessEnv, cwd: string, orElse = 'or run with --runtime=native'): Promise<{ docker: string } | string> {
  const docker = which.sync('docker', { path: env.PATH ?? '', nothrow: true });
  if (!docker) return `no docker CLI on PATH — install Docker, ${orElse}`;
  const info = await runCommand(docker, ['info', '--format', '{{.ServerVersion}}'], { cwd, env, timeoutMs: 10_000 });
  if (info.exitCode !== 0 || !info.stdout) {
    const host = env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
    return `Docker daemon not reachable at ${host} — start Docker, ${orElse}`;
  }
  return { docker };
}

/** Why Docker cannot be used here (naming the fix), or the Compose to call. */
export async function detectCompose(env: NodeJS.ProcessEnv, cwd: string): Promise<ComposeCli | string> {
  const found = await detectDocker(env, cwd);
  if (typeof found === 'string') return found;
  const { docker } = found;
  const v2 = await runCommand(docker, ['compose', 'version', '--short'], { cwd, env, timeoutMs: 10_000 });
  if (v2.exitCode === 0) return { command: docker, prefix: ['compose'], version: 'v2' };
  const v1Path = which.sync('docker-compose', { path: env.PATH ?? '', nothrow: true });
  if (v1Path && (await runCommand(v1Path, ['version'], { cwd, env, timeoutMs: 10_000 })).exitCode === 0) {
    return { command: v1Path, prefix: [], version: 'v1' };
  }
  return 'Docker Compose is missing — install the compose plugin (v2) or docker-compose (v1), or run with --runtime=native';
}

export interface ComposeConfig {
  services?: Record<string, { ports?: Array<string | number | { published?: number | string }> }>;
  volumes?: Record<string, { name?: string } | null>;
}

/**
 * The merged configuration of every compose file, as Compose itself resolves it (JSON is YAML too).
 * A file Compose rejects is a RuntimeError of one line, with Compose's own reason.
 */
export async function composeConfig(target: ComposeTarget, env: NodeJS.ProcessEnv): Promise<ComposeConfig> {
  const errors: string[] = [];
  const result = await runCommand(target.cli.command, composeArgs(target, ['config']), {
    cwd: target.root,
    env,
    timeoutMs: 30_000,
    onLine: (line, stream) => void (stream === 'stderr' && line.trim() && errors.push(line.trim())),
  });
  if (result.exitCode !== 0) {
    const reason = errors.at(-1) ?? result.spawnError ?? (result.timedOut ? 'timed out after 30 s' : 'no message');
    throw new RuntimeError(`docker compose config failed (exit ${result.exitCode}): ${reason} — fix ${target.files.join(', ')}`);
  }
  try {
    return parse(result.stdout) as ComposeConfig;
  } catch (error) {
    throw new RuntimeError(`docker compose config printed something that is not YAML (${(error as Error).message.split('\n')[0]}) — check the Compose version (docker compose version)`);
  }
}

/** The real names of the named volumes (`name:` wins over the key). */
export function namedVolumes(config: ComposeConfig): string[] {
  return Object.entries(config.volumes ?? {}).map(([key, volume]) => volume?.name ?? key);
}

/** Host ports published for a service ("18789:18789" or the long form → 18789). */
export function publishedPorts(config: ComposeConfig, service: string): number[] {
  const ports = config.services?.[service]?.ports ?? [];
  return ports
    .map((port) => {
      if (typeof port === 'object') return Number(port.published);
      const parts = String(port).split(':');
      return Number(parts.length >= 2 ? parts[parts.length - 2] : parts[0]);
    })
    .filter((port) => Number.isInteger(port) && port > 0);
}
