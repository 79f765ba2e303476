import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import type { DevExecutorSchema } from '../dev-engine/schema.d.ts';
import {
  composeArgs,
  composeConfig,
  detectCompose,
  downArgs,
  execShellArgs,
  followLogsArgs,
  logsArgs,
  namedVolumes,
  publishedPorts,
  upArgs,
  type ComposeCli,
  type ComposeConfig,
  type ComposeTarget,
} from '../docker/compose.ts';
import { PreflightError } from '../dev-engine/engine.ts';
import { forEachLine, runCommand, runInteractive, spawnGroupLeader, type RunResult } from '../exec/exec.ts';
import { loadSecrets } from '../env/secrets.ts';
import { isPortFree } from '../probe/health-probe.ts';
import { onStopSignals } from '../process/signals.ts';
import { stopGroup } from '../supervisor/process-group.ts';
import type { DevRuntime, RuntimeContext } from './runtime.ts';

/** The engine's own ready and reload lines, as printed inside the container. */
const ENGINE_READY = /\[loa\] ready in \d+ ms/;

/** Runs compose with the given arguments, relaying its lines (to `onLine`, or to the runtime's printer). */
type Compose = (args: string[], onLine?: (line: string) => void) => Promise<RunResult>;

// Choosing the runtime asks whether Docker is usable and running it asks again, with the same context:
// one `docker info` and one `compose version` per run.
const detected = new WeakMap<RuntimeContext, Promise<ComposeCli | string>>();
function detect(context: RuntimeContext): Promise<ComposeCli | string> {
  let found = detected.get(context);
  if (!found) {
    found = detectCompose(context.env, context.root);
    detected.set(context, found);
  }
  return found;
}

/**
 * The docker runtime: compose around the container, the same engine inside it (start-loa-dev.sh runs
 * it with the rules from apps/loa/project.json). This side only drives compose and reports.
 */
export const dockerRuntime: DevRuntime = {
  name: 'docker',
  async unavailable(context) {
    const compose = await detect(context);
    return typeof compose === 'string' ? compose : undefined;
  },
  async run(options, context) {
    const cli = await detect(context);
    if (typeof cli === 'string') throw new PreflightError(cli);
    const target: ComposeTarget = { cli, root: context.root, files: options.composeFiles, projectName: options.projectName };
    for (const file of target.files) {
      if (!existsSync(resolve(context.root, file))) throw new PreflightError(`compose file ${file} not found — run \`npx nx g @loa/plugin:setup\` or fix "composeFiles"`);
    }
    const { envFileValues, redact } = loadSecrets(context.root, context.env, { envFile: options.envFile, scope: context.scope });
    // The seed's message, word for word: users know it from the Makefile.
    if (!envFileValues && (options.action === 'up' || options.action === 'build')) {
      throw new PreflightError(`${options.envFile} not found. Copy from ${options.envFile}.example`);
    }
    // Compose draws on terminals even when told not to; relay plain text.
    const print = (line: string) => context.print(redact(stripVTControlCharacters(line)));
    const compose: Compose = (args, onLine = print) => runCommand(cli.command, composeArgs(target, args), { cwd: context.root, env: context.env, onLine });
    // The merged config, for the actions that read it (volume names, published ports).
    const volumes = async () => namedVolumes(await composeConfig(target, context.env)).join(', ');

    switch (options.action) {
      case 'shell':
        return runInteractive(cli.command, composeArgs(target, execShellArgs(options.service)), { cwd: context.root, env: context.env });
      case 'logs':
        return follow(cli.command, composeArgs(target, logsArgs(options.service)), context, print, async () => undefined);
      case 'down': {
        const names = await volumes();
        const result = await compose(downArgs(false));
        if (result.exitCode === 0) print(`[loa] stopped; data volume ${names} kept`);
        return result.exitCode;
      }
      case 'clean': {
        const names = await volumes();
        const result = await compose(downArgs(true));
        if (result.exitCode === 0) print(`[loa] removed the containers and the data volume ${names} (WAL, SOUL.md)`);
        return result.exitCode;
      }
      case 'up':
      case 'build':
        await preflightUp(options, await composeConfig(target, context.env), context.env.NX_TASK_TARGET_PROJECT);
        return up(target, compose, options.action === 'build', context, print, options.service);
    }
  },
};

/** `project`: the Nx project being run (Nx sets NX_TASK_TARGET_PROJECT for its tasks; the standalone engine has none). */
async function preflightUp(options: DevExecutorSchema, config: ComposeConfig, project: string | undefined) {
  const down = project ? `\`npx nx run ${project}:dev-down\`` : "the project's dev-down target";
  // Ports from the merged config: an override with host networking publishes none.
  for (const port of publishedPorts(config, options.service)) {
    if (!(await isPortFree('127.0.0.1', port))) {
      throw new PreflightError(`port ${port} is already in use — stop what is listening there (lsof -i :${port}), or ${down} if it is an earlier ${options.service}`);
    }
  }
}

/**
 * up: start the container detached, follow its logs (a ready line when the engine inside is healthy),
 * and when the session ends — Ctrl+C, Nx stopping the task, the container exiting — take it down
 * (the data volume stays).
 */
async function up(target: ComposeTarget, compose: Compose, build: boolean, context: RuntimeContext, print: (line: string) => void, service: string): Promise<number> {
  const started = new Date(Date.now() - 1000);
  print(`[loa] compose ${target.cli.version}: ${build ? 'building, then ' : ''}starting ${service} (${target.files.join(', ')})`);
  const upResult = await compose(upArgs(build), (line) => print(`[compose] ${line}`));
  if (upResult.exitCode !== 0) {
    print(`[loa] ERROR: docker compose up failed (exit ${upResult.exitCode}) — see the lines above`);
    return 1;
  }

  let down: Promise<void> | undefined;
  const takeDown = () => {
    if (!down) {
      print('[loa] stopping the containers (the data volume stays)…');
      down = waitForMarker(launchDownOutsideOurTree(target, context));
    }
    return down;
  };
  // Last resort when this process is ended before the session's own cleanup runs: spawn is synchronous.
  const onExit = () => void (down ?? launchDownOutsideOurTree(target, context));
  process.once('exit', onExit);

  let ready = false;
  // The log stream ends when the container stops: a restart is followed again, anything else ends the session.
  const resume = async () => {
    for (let i = 0; i < 20; i += 1) {
      const running = await compose(['ps', '--status', 'running', '--quiet', service], () => undefined);
      if (running.stdout) {
        print(`[loa] ${service} restarted; following it again`);
        return composeArgs(target, followLogsArgs(service, new Date()));
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    print(`[loa] ${service} is no longer running — see its last lines above`);
    return undefined;
  };
  try {
    return await follow(target.cli.command, composeArgs(target, followLogsArgs(service, started)), context, (line) => {
      print(`[${service}] ${line}`);
      if (!ready && ENGINE_READY.test(line)) {
        ready = true;
        print(`[loa] container ready in ${Date.now() - started.getTime() - 1000} ms: the engine inside is healthy; saves on this host reload there`);
      }
    }, takeDown, resume);
  } finally {
    await takeDown();
    process.off('exit', onExit);
  }
}

/**
 * Starts `compose down` double-forked, so it is no descendant of this process (Nx kills the task's
 * whole tree on Ctrl+C, and the containers must still come down). Returns a file that appears when done.
 */
function launchDownOutsideOurTree(target: ComposeTarget, context: RuntimeContext): string {
  const done = join(tmpdir(), `loa-compose-down-${process.pid}-${Date.now()}`);
  const command = [target.cli.command, ...composeArgs(target, downArgs(false))];
  // sh runs a subshell in the background and exits at once: the subshell's parent is then init.
  spawn('sh', ['-c', '( "$@" >/dev/null 2>&1; : > "$0" ) &', done, ...command], { cwd: context.root, env: context.env, stdio: 'ignore', detached: true }).unref();
  return done;
}

async function waitForMarker(done: string, timeoutMs = 60_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline && !existsSync(done); ) await new Promise((r) => setTimeout(r, 50));
  rmSync(done, { force: true });
}

/**
 * Runs a long compose command until a signal arrives; on a signal, `onStop`, then stop it. When the
 * command ends by itself, `resume` may give the arguments to follow again (a restarted container).
 */
async function follow(
  command: string,
  args: string[],
  context: RuntimeContext,
  onLine: (line: string) => void,
  onStop: () => Promise<unknown>,
  resume: () => Promise<string[] | undefined> = async () => undefined,
): Promise<number> {
  let stoppedBy: number | undefined;
  let child: ReturnType<typeof spawnGroupLeader> | undefined;
  const removeHandlers = onStopSignals((_signal, code) => {
    if (stoppedBy !== undefined) return;
    stoppedBy = code;
    void onStop().finally(() => child?.pid && stopGroup(child.pid, 10_000));
  });
  try {
    for (let next: string[] | undefined = args; next && stoppedBy === undefined; next = await resume()) {
      child = spawnGroupLeader(command, next, { cwd: context.root, env: context.env });
      forEachLine(child.stdout, onLine);
      forEachLine(child.stderr, onLine);
      const result = await child.result;
      if (stoppedBy !== undefined) return stoppedBy;
      if (result.exitCode !== 0) return result.exitCode ?? 1;
    }
    return stoppedBy ?? 0;
  } finally {
    removeHandlers();
  }
}
