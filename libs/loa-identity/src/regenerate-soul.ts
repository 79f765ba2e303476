// Run by the dev loop when grimoires/loa/BEAUVOIR.md changes, and by start-loa.sh before identity
// starts. The log has one writer: while an identity holds the data dir, it is asked to regenerate
// (POST /soul/regenerate on loopback) so its /health reports the new hash; only when no identity
// holds the dir does this script regenerate SOUL.md itself, under the same lock.
import { readConfig, type IdentityConfig } from './config.ts';
import { DataDirLockedError, lockHolder, type LockHolder } from './lock.ts';
import { SOUL_REGENERATE_PATH } from './service.ts';
import { regenerateSoul } from './soul.ts';
import { WriteAheadLog } from './wal.ts';

/** A holder that is starting or restarting gets this long to serve before we give up. */
const WAIT_FOR_HOLDER_MS = 10_000;

function regenerateHere(config: IdentityConfig): string {
  const wal = new WriteAheadLog(config.dataDir, { role: 'regenerate-soul' });
  try {
    wal.replay();
    const soul = regenerateSoul(config.grimoiresDir, config.workspaceDir);
    if (soul.changed) wal.append('soul', { hash: soul.hash });
    return `SOUL.md ${soul.changed ? 'regenerated' : 'already current'} (${soul.hash})`;
  } finally {
    wal.close();
  }
}

function loopbackUrl(holder: LockHolder): string {
  const host = !holder.host || holder.host === '0.0.0.0' || holder.host === '::' ? '127.0.0.1' : holder.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${holder.port}${SOUL_REGENERATE_PATH}`;
}

async function askHolder(holder: LockHolder): Promise<string> {
  const response = await fetch(loopbackUrl(holder), { method: 'POST', signal: AbortSignal.timeout(5_000) });
  const body = (await response.json()) as { ok?: boolean; pid?: number; changed?: boolean; hash?: string; error?: string };
  if (body.pid !== holder.pid) throw new Error(`${loopbackUrl(holder)} answered for pid ${body.pid}, not for the data dir's holder pid ${holder.pid}`);
  if (!body.ok) throw new Error(`the running identity (pid ${holder.pid}) could not regenerate SOUL.md: ${body.error ?? `HTTP ${response.status}`}`);
  return `SOUL.md ${body.changed ? 'regenerated' : 'already current'} (${body.hash}) by the running identity (pid ${holder.pid})`;
}

async function regenerate(config: IdentityConfig): Promise<string> {
  const deadline = Date.now() + WAIT_FOR_HOLDER_MS;
  let lastProblem = 'it has not published its port yet';
  for (;;) {
    const holder = lockHolder(config.dataDir);
    if (!holder) {
      try {
        return regenerateHere(config);
      } catch (error) {
        // An identity took the dir between the look and the lock: ask it instead.
        if (!(error instanceof DataDirLockedError)) throw error;
        continue;
      }
    }
    if (holder.port) {
      try {
        return await askHolder(holder);
      } catch (error) {
        // Refused or timed out: the holder may be stopping or restarting; look again until the deadline.
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        if (!cause && !(error instanceof DOMException)) throw error;
        lastProblem = `${loopbackUrl(holder)}: ${cause ?? (error as Error).message}`;
      }
    }
    if (Date.now() > deadline) {
      throw new Error(
        `identity pid ${holder.pid} holds ${config.dataDir} but did not regenerate SOUL.md within ${WAIT_FOR_HOLDER_MS / 1000} s (${lastProblem}) — check its output, or stop it and run this again`,
      );
    }
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 100));
  }
}

try {
  console.log(`[identity] ${await regenerate(readConfig())}`);
} catch (error) {
  console.error(`[identity] ERROR: ${(error as Error).message}`);
  process.exit(1);
}
