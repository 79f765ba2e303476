// A throwaway copy of this workspace for suites that run the real thing (the docker e2e suite, the
// docker benchmark): tracked files only, node_modules linked, its own compose volume and .env.local,
// so a developer's loa-dev-data-v1 and .env.local are never touched.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface WorkspaceCopy {
  dir: string;
  /** The compose project: every container it makes carries this label. */
  project: string;
  volume: string;
}

/** The workspace's tracked files as they are in the working tree, with node_modules linked. */
export function copyTrackedFiles(repo: string, prefix = 'loa-copy-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const files = spawnSync('git', ['ls-files', '-z'], { cwd: repo, encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(repo, file), join(dir, file));
  }
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

export function copyWorkspace(repo: string, options: { envLocal: string; extraEnvironment?: Record<string, string> }): WorkspaceCopy {
  const suffix = `${process.pid}-${Date.now()}`;
  const dir = copyTrackedFiles(repo);
  const volume = `loa-copy-data-${suffix}`;
  const environment = Object.entries(options.extraEnvironment ?? {})
    .map(([key, value]) => `      ${key}: "${value}"\n`)
    .join('');
  const override = readFileSync(join(repo, 'tools/docker/compose.ci.yml'), 'utf8').replace(
    /network_mode: host\n/,
    `network_mode: host\n${environment ? `    environment:\n${environment}` : ''}`,
  );
  writeFileSync(join(dir, 'tools/docker/compose.ci.yml'), `${override}\nvolumes:\n  loa-data:\n    name: ${volume}\n`);
  writeFileSync(join(dir, '.env.local'), options.envLocal);
  return { dir, project: `loa-copy-${suffix}`, volume };
}

/** Containers of a compose project, running or not. */
export function projectContainers(project: string): string[] {
  const result = spawnSync('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`], { encoding: 'utf8' });
  return result.stdout.trim().split('\n').filter(Boolean);
}

/** Removes everything the copy made in Docker (containers, network, volume). */
export function removeDockerState(copy: WorkspaceCopy): void {
  spawnSync('docker', ['compose', '-p', copy.project, '-f', join(copy.dir, 'docker-compose.dev.yml'), '-f', join(copy.dir, 'tools/docker/compose.ci.yml'), 'down', '-v', '--remove-orphans'], { encoding: 'utf8' });
  for (const id of projectContainers(copy.project)) spawnSync('docker', ['rm', '-f', id]);
  spawnSync('docker', ['volume', 'rm', '-f', copy.volume]);
}
