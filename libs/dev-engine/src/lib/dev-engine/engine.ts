import { join } from 'node:path';
import { forEachLine, spawnFailure, spawnGroupLeader } from '../exec/exec.ts';
import { onFatal } from '../process/fatal.ts';
import { onStopSignals } from '../process/signals.ts';
import type { Redactor } from '../env/redact.ts';
import { isPortFree, portOf } from '../probe/health-probe.ts';
import { liveLockHolder } from '../runtime/data-dir.ts';
import { ManagedProcess, type ProcessEvent } from '../supervisor/managed-process.ts';
import { GroupLedger } from '../supervisor/group-ledger.ts';
import { killTrackedGroupsNow, stopGroup, trackGroup, untrackGroup, watchTrackedGroups } from '../supervisor/process-group.ts';
import { describeFiles, routeChanges, watchRoots, type ReloadRule } from '../watch/rules.ts';
import { BatchingWatcher, describeWatchError } from '../watch/watcher.ts';
import { resolveCommand, type NormalizedDevOptions } from './options.ts';

export type Print = (line: string) => void;

export class PreflightError extends Error {}

/** How long a rule's `run` command may take when the rule sets no run.timeoutMs. */
export const DEFAULT_RUN_TIMEOUT_MS = 60_000;
/** From SIGTERM to SIGKILL for a rule command's process group (timed out, or the engine stopping). */
const RUN_GRACE_MS = 1_000;

/** The tail of a failed process's output, without Node's internal stack frames, which only push the error out of view. */
export function lastUsefulLines(lines: readonly string[], max = 12): string[] {
  return lines.filter((line) => !/^\s+at .*\(?node:internal\//.test(line)).slice(-max);
}

/**
 * The dev loop: start every process, report ready, watch, route each batch of changes to only the
 * processes it affects, and on a signal stop everything. Both runtimes run this same engine (the
 * docker runtime runs it inside the container).
 */
export class DevEngine {
  readonly processes: ManagedProcess[];
  private watcher: BatchingWatcher | undefined;
  private readonly startedAt = Date.now();
  private initialPending: Set<string>;
  private shuttingDown: Promise<number> | undefined;
  private finished!: (code: number) => void;
  private readonly done = new Promise<number>((resolve) => (this.finished = resolve));
  private removeSignalHandlers: (() => void) | undefined;
  private removeFatalCleanup: (() => void) | undefined;
  /** Where each running engine lists its process groups (see GroupLedger), and this engine's list. */
  private readonly ledgerDir: string;
  private readonly ledger: GroupLedger;
  /** The process groups of the rule commands running now. */
  private readonly ruleGroups = new Set<number>();

  private readonly options: NormalizedDevOptions;
  private readonly redact: Redactor;
  private readonly print: Print;

  constructor(options: NormalizedDevOptions, redact: Redactor, print: Print = (line) => process.stdout.write(`${line}\n`)) {
    this.options = options;
    this.redact = redact;
    this.print = print;
    this.ledgerDir = join(options.root, '.loa', 'engines');
    this.ledger = new GroupLedger(this.ledgerDir);
    this.processes = options.processes.map(
      (spec) =>
        new ManagedProcess(spec, {
          onLine: (name, line) => this.out(`[${name}] ${line}`),
          onEvent: (event) => this.onProcessEvent(event),
        }),
    );
    this.initialPending = new Set(this.processes.map((p) => p.spec.name));
  }

  private out(line: string): void {
    this.print(this.redact(line));
  }

  private say(line: string): void {
    this.out(`[loa] ${line}`);
  }

  /** Ports taken by someone else before we start anything: stop here, naming the fix. */
  async preflight(): Promise<void> {
    for (const process of this.processes) {
      const port = portOf(process.spec.health);
      if (port && !(await isPortFree(port.host, port.port))) {
        // Most often the service an earlier engine left behind (killed with SIGKILL, its groups could not be stopped).
        const holder = liveLockHolder(this.options.dataDir);
        const leftover = holder ? ` (is it the ${holder.role} an earlier run left behind? pid ${holder.pid} holds ${holder.file} in the data dir: kill ${holder.pid})` : '';
        throw new PreflightError(
          `port ${port.port} (${port.host}) is already in use, and ${process.spec.name} needs it${leftover} — ` +
            `stop what is listening there (lsof -i :${port.port}) or change ${process.spec.name}'s port in the dev target`,
        );
      }
    }
  }

  /**
   * Runs until a signal arrives (or stop() is called); resolves with the exit code. `handleSignals`
   * means the engine owns the process: it then also turns any fatal error (an uncaught exception, an
   * unhandled rejection, EPIPE on stdout) into "stop every group, one line, exit 1".
   */
  async run(options: { handleSignals?: boolean } = {}): Promise<number> {
    // What an engine killed outright (SIGKILL) left running here: stopped before the ports are checked.
    for (const { engine, groups } of await this.ledger.reapLeftovers(Math.max(1000, ...this.processes.map((p) => p.spec.graceMs)))) {
      this.say(`stopped ${groups.length} process group(s) (${groups.join(', ')}) that an engine killed outright (pid ${engine}) left running`);
    }
    watchTrackedGroups((groups) => this.ledger.record(groups));
    await this.preflight();
    if (options.handleSignals ?? true) {
      // A second Ctrl+C while stopping (a process that ignores SIGTERM, a long graceMs) kills at once.
      this.removeSignalHandlers = onStopSignals((signal, code) => (this.shuttingDown ? this.killNow(signal) : void this.stop(code, signal)));
      this.removeFatalCleanup = onFatal({ stop: () => this.abort(), redact: this.redact });
    }
    try {
      return await this.watchAndServe();
    } catch (error) {
      // Never leave a started group behind on the way out, whatever failed.
      await this.abort();
      throw error;
    }
  }

  private async watchAndServe(): Promise<number> {
    for (const notice of this.options.skipped.values()) this.say(notice);

    const roots = watchRoots(this.options.rules);
    this.watcher = new BatchingWatcher(
      {
        root: this.options.root,
        paths: roots,
        // The engine's own writes: identity's data, and the ledger it rewrites on every restart.
        ignorePaths: [this.options.dataDir, this.ledgerDir],
        ignoreNames: this.options.watch.ignoreNames,
        debounceMs: this.options.watch.debounceMs,
        burstDebounceMs: this.options.watch.burstDebounceMs,
        usePolling: this.options.watch.usePolling,
        pollIntervalMs: this.options.watch.pollIntervalMs,
      },
      (files) => void this.onChanges(files),
      (error) => this.say(`watch error: ${describeWatchError(error as NodeJS.ErrnoException)}`),
      (notice) => this.say(`watch: ${notice}`),
    );
    const watching = this.watcher.start();
    for (const process of this.processes) process.requestRestart(['start']);
    await watching;
    this.say(roots.length ? `watching ${roots.join(', ')}${this.options.watch.usePolling ? ' (polling)' : ''}` : 'watching nothing: no rule names a file (the "rules" option is empty)');
    if (this.processes.length === 0) this.say('nothing to run: every process was skipped');
    return this.done;
  }

  private onProcessEvent(event: ProcessEvent): void {
    if (event.type === 'healthy') {
      if (this.initialPending.delete(event.name)) {
        this.say(`${event.name} healthy in ${event.ms} ms (pid ${event.pid}, ${event.detail})`);
        if (this.initialPending.size === 0) this.sayReady();
        return;
      }
      const why = event.reasons.includes('start') ? '' : ` — ${describeFiles(event.reasons)}`;
      this.say(`reloaded ${event.name} in ${event.ms} ms${why}`);
      return;
    }
    const lead =
      event.type === 'crashed'
        ? `${event.name} crashed (${event.why})`
        : `${event.name} failed to start (${event.why})`;
    this.say(`${lead}; retrying in ${Math.round(event.retryInMs / 1000)} s or on the next change`);
    for (const line of lastUsefulLines(event.lastLines)) this.out(`[loa]   | ${line}`);
  }

  private sayReady(): void {
    const names = this.processes.map((p) => p.spec.name);
    const skipped = [...this.options.skipped.keys()].map((name) => `${name} skipped`);
    this.say(`ready in ${Date.now() - this.startedAt} ms: ${[...names, ...skipped].join(', ')}`);
  }

  private async onChanges(files: string[]): Promise<void> {
    if (this.shuttingDown) return;
    const plan = routeChanges(files, this.options.rules);
    for (const hit of plan.hits) {
      const { rule } = hit;
      if (rule.run && !(await this.runRuleCommand(rule.run))) {
        if (rule.restart?.length) this.say(`not restarting ${rule.restart.join(', ')}: the command above failed — fix it and save again`);
        continue;
      }
      // After the rule's command, if any: its notice tells what the command did ("new sessions use the new persona").
      if (rule.notify) this.say(`${rule.notify} — ${describeFiles(hit.files)}`);
      for (const name of rule.restart ?? []) {
        const process = this.processes.find((p) => p.spec.name === name);
        if (process) process.requestRestart(hit.files);
        else if (this.options.skipped.has(name)) this.say(`${name} would restart for ${describeFiles(hit.files)}, but it is not running (not installed)`);
      }
    }
  }

  /**
   * Runs a rule's command in its own process group, bounded by its timeoutMs: a command that hangs
   * (waiting for input, a lock, the network) would otherwise hold every later reload. On the timeout
   * its whole group is stopped (SIGTERM, then SIGKILL), not only its leader.
   */
  private async runRuleCommand(run: NonNullable<ReloadRule['run']>): Promise<boolean> {
    const { command, args = [], timeoutMs = DEFAULT_RUN_TIMEOUT_MS } = run;
    const shown = [command, ...args].join(' ');
    // The same resolution as the processes' programs (`node` is the Node running this engine).
    const resolved = resolveCommand([command], this.options.env, this.options.root) ?? command;
    const child = spawnGroupLeader(resolved, args, { cwd: this.options.root, env: this.options.env });
    const pid = child.pid;
    if (pid) {
      // Tracked like the processes' groups: a fatal error in the engine stops it too.
      trackGroup(pid);
      this.ruleGroups.add(pid);
    }
    forEachLine(child.stdout, (line) => this.out(`[run] ${line}`));
    forEachLine(child.stderr, (line) => this.out(`[run] ${line}`));
    let stopping: Promise<unknown> | undefined;
    const timer = setTimeout(() => (stopping = pid ? stopGroup(pid, RUN_GRACE_MS) : undefined), timeoutMs);
    const result = await child.result;
    clearTimeout(timer);
    if (pid) {
      await stopping;
      this.ruleGroups.delete(pid);
      untrackGroup(pid);
    }
    if (this.shuttingDown) return false;
    if (stopping) {
      this.say(`${shown} timed out after ${timeoutMs} ms: killed it (its whole process group) — make it finish sooner, or raise run.timeoutMs in its rule`);
      return false;
    }
    if (result.exitCode === 0) return true;
    const why = spawnFailure(command, result) ?? (result.signal ? `killed by ${result.signal}` : `exit ${result.exitCode}`);
    this.say(`${shown} failed (${why})`);
    return false;
  }

  /** Stops the rule commands still running (the engine is stopping). */
  private stopRuleCommands(): Promise<unknown> {
    return Promise.all([...this.ruleGroups].map((pid) => stopGroup(pid, RUN_GRACE_MS)));
  }

  private killedNow = false;

  /** A signal during the stop: SIGKILL every process group now instead of waiting out the grace period. */
  private killNow(signal: string): void {
    if (this.killedNow) return;
    this.killedNow = true;
    this.say(`${signal} again: killing every process now (SIGKILL)`);
    killTrackedGroupsNow();
  }

  /** The fatal path: every group stopped at once, not after the restart in progress (it may be what failed). */
  private async abort(): Promise<void> {
    await Promise.all([this.watcher?.close().catch(() => undefined), ...this.processes.map((p) => p.abort()), this.stopRuleCommands()]);
  }

  /** Stops the watcher and every process group; resolves with the exit code run() resolves with. */
  stop(code = 0, reason?: string): Promise<number> {
    this.shuttingDown ??= (async () => {
      this.say(`stopping${reason ? ` (${reason})` : ''}…`);
      await this.watcher?.close();
      await Promise.all([...this.processes.map((p) => p.close()), this.stopRuleCommands()]);
      this.removeSignalHandlers?.();
      this.removeFatalCleanup?.();
      watchTrackedGroups(undefined);
      this.ledger.clear();
      this.say('stopped; every process has exited');
      this.finished(code);
      return code;
    })();
    return this.shuttingDown;
  }
}
