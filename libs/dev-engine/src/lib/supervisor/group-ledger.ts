// The process groups an engine has running, on disk. Every group is detached (its own session), so an
// engine that is killed outright (SIGKILL: no handler runs) leaves them running with parent PID 1,
// holding their ports. The next engine in the same workspace reads the ledger of a dead engine and
// stops what it left, instead of refusing to start on a port in use.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { groupAlive, processStartTime, stopGroup } from './process-group.ts';

interface Entry {
  pid: number;
  /** /proc start time, so a pid reused by an unrelated process is never signalled. */
  start: string | undefined;
}

interface Ledger {
  engine: Entry;
  groups: Entry[];
}

const entryOf = (pid: number): Entry => ({ pid, start: processStartTime(pid) });

/** Whether `entry` is still the process it was (same pid, same start time). */
function sameProcess(entry: Entry): boolean {
  const start = processStartTime(entry.pid);
  return start !== undefined && (entry.start === undefined || start === entry.start);
}

export class GroupLedger {
  private readonly dir: string;
  private readonly file: string;
  private readonly engine = entryOf(process.pid);
  /** The entries written last, by pid: a group's start time is read from /proc once, not on every restart. */
  private entries = new Map<number, Entry>();

  /** `dir`: the workspace's `.loa/engines` (one file per running engine). */
  constructor(dir: string) {
    this.dir = dir;
    this.file = join(dir, `${process.pid}.json`);
  }

  /**
   * Stops the groups of every engine whose ledger is here but which is gone; returns what it stopped,
   * per dead engine. Best effort: an unreadable ledger is removed, never a reason not to start.
   */
  async reapLeftovers(graceMs: number): Promise<Array<{ engine: number; groups: number[] }>> {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((name) => /^\d+\.json$/.test(name));
    } catch {
      return [];
    }
    const reaped: Array<{ engine: number; groups: number[] }> = [];
    for (const name of names) {
      const path = join(this.dir, name);
      let ledger: Ledger;
      try {
        ledger = JSON.parse(readFileSync(path, 'utf8')) as Ledger;
        if (!Number.isInteger(ledger?.engine?.pid) || !Array.isArray(ledger.groups)) throw new Error('not a ledger');
      } catch {
        rmSync(path, { force: true });
        continue;
      }
      if (ledger.engine.pid === process.pid || sameProcess(ledger.engine)) continue;
      const alive = ledger.groups.filter((group) => Number.isInteger(group.pid) && group.pid > 1 && sameProcess(group) && groupAlive(group.pid));
      await Promise.all(alive.map((group) => stopGroup(group.pid, graceMs)));
      if (alive.length > 0) reaped.push({ engine: ledger.engine.pid, groups: alive.map((group) => group.pid) });
      rmSync(path, { force: true });
    }
    return reaped;
  }

  /** Writes this engine's groups (atomically: a reader never sees half a file). Best effort. */
  record(groups: Iterable<number>): void {
    this.entries = new Map([...groups].map((pid) => [pid, this.entries.get(pid) ?? entryOf(pid)]));
    const ledger: Ledger = { engine: this.engine, groups: [...this.entries.values()] };
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(`${this.file}.tmp`, JSON.stringify(ledger));
      renameSync(`${this.file}.tmp`, this.file);
    } catch {
      // A read-only workspace: the engine still runs, only without this safety net.
    }
  }

  /** Every group stopped: nothing to leave behind. */
  clear(): void {
    rmSync(this.file, { force: true });
  }
}
