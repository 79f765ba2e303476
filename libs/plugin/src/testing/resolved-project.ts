import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ResolvedTarget {
  executor?: string;
  options?: Record<string, unknown>;
  configurations?: Record<string, Record<string, unknown>>;
  continuous?: boolean;
  cache?: boolean;
  metadata?: { description?: string; technologies?: string[] };
}

export interface ResolvedProject {
  name: string;
  root: string;
  targets: Record<string, ResolvedTarget>;
}

/**
 * A project as Nx resolves it, by the real `nx show project <name> --json` in `workspace`: project.json
 * merged over what the plugins (ours among them) infer. Reading project.json alone misses inferred targets.
 * `--json` always: the text form has no descriptions, and Nx picks JSON by itself under some agents.
 */
export function showProject(workspace: string, name: string, env: NodeJS.ProcessEnv = {}): ResolvedProject {
  const output = execFileSync(join(workspace, 'node_modules/.bin/nx'), ['show', 'project', name, '--json'], {
    cwd: workspace,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(output) as ResolvedProject;
}

/** Every project name in `workspace`, by `nx show projects --json`. */
export function showProjects(workspace: string): string[] {
  const output = execFileSync(join(workspace, 'node_modules/.bin/nx'), ['show', 'projects', '--json'], {
    cwd: workspace,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return (JSON.parse(output) as string[]).sort();
}

/** Every project of `workspace` as Nx resolves it, in one `nx graph --file` (one graph computation, not one per project). */
export function allProjects(workspace: string): ResolvedProject[] {
  const dir = mkdtempSync(join(tmpdir(), 'loa-graph-'));
  try {
    execFileSync(join(workspace, 'node_modules/.bin/nx'), ['graph', `--file=${join(dir, 'graph.json')}`], {
      cwd: workspace,
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const graph = JSON.parse(readFileSync(join(dir, 'graph.json'), 'utf8')) as { graph: { nodes: Record<string, { data: ResolvedProject }> } };
    return Object.values(graph.graph.nodes).map((node) => node.data);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
