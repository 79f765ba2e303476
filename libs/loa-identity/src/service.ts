import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { IdentityConfig } from './config.ts';
import { countStarts, healthPayload } from './health.ts';
import { planSoul, writeSoul, type SoulPlan, type SoulResult } from './soul.ts';
import { WriteAheadLog } from './wal.ts';

export interface RunningIdentity {
  server: Server;
  wal: WriteAheadLog;
  port: number;
  /** What POST /soul/regenerate does: SOUL.md from BEAUVOIR.md, recorded in the log when it changed. */
  regenerateSoul(): SoulResult;
  stop(): Promise<void>;
}

type Log = (message: string) => void;

export const SOUL_REGENERATE_PATH = '/soul/regenerate';

function isLoopback(address: string | undefined): boolean {
  return !!address && (address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.'));
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolvePromise, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(new Error(`port ${port} on ${host} is already in use — stop what holds it, or set LOA_IDENTITY_PORT to a free port`));
      } else {
        reject(new Error(`cannot listen on ${host}:${port} (${error.code ?? error.message}) — check LOA_IDENTITY_HOST and LOA_IDENTITY_PORT`));
      }
    });
    server.listen(port, host, () => resolvePromise());
  });
}

/**
 * Locks the data dir and replays the log, then serves /health; only once it is serving does it record
 * this start and bring SOUL.md up to date, so a start that fails (a busy port) leaves no trace. While
 * it runs it is the log's only writer, and owns SOUL.md's regeneration (POST /soul/regenerate, from
 * loopback), so /health's soulHash is always the hash of the SOUL.md it wrote last.
 */
export async function startIdentity(config: IdentityConfig, log: Log = (m) => console.log(m)): Promise<RunningIdentity> {
  const wal = new WriteAheadLog(config.dataDir);
  const replay = wal.replay();
  const startedAt = new Date().toISOString();
  let starts = countStarts(replay.records);
  let soulHash = '';

  // A lost write is loud: on every failed append, and in /health (503) until a restart.
  const record = (type: string, fields: Record<string, unknown>): boolean => {
    const failedBefore = wal.failure !== null;
    try {
      wal.append(type, fields);
      return true;
    } catch (error) {
      log(`[identity] ERROR: ${failedBefore ? `${type} not recorded: the write-ahead log failed earlier` : (error as Error).message}`);
      return false;
    }
  };

  /** Writes a planned SOUL.md, and records it in the log when it changed. */
  const applySoul = (plan: SoulPlan): SoulResult => {
    const soul = writeSoul(plan);
    soulHash = soul.hash;
    if (soul.changed && record('soul', { hash: soul.hash })) log(`[identity] SOUL.md regenerated (${soul.hash})`);
    return soul;
  };
  const regenerateSoul = (): SoulResult => applySoul(planSoul(config.grimoiresDir, config.workspaceDir));

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method === 'GET' && (path === '/health' || path === '/healthz')) {
      const body = healthPayload({ pid: process.pid, startedAt, starts, walSeq: wal.lastSeq, soulHash, walFailure: wal.failure });
      sendJson(response, body.ok ? 200 : 503, body);
      return;
    }
    if (path === SOUL_REGENERATE_PATH) {
      // Identity may listen beyond loopback (in a container); rewriting the persona is for local tools only.
      if (!isLoopback(request.socket.remoteAddress)) return sendJson(response, 403, { ok: false, error: 'loopback only' });
      if (request.method !== 'POST') return sendJson(response, 405, { ok: false, error: `use POST ${SOUL_REGENERATE_PATH}` });
      try {
        const soul = regenerateSoul();
        const failure = wal.failure;
        sendJson(response, failure ? 503 : 200, {
          ok: !failure,
          pid: process.pid,
          changed: soul.changed,
          hash: soul.hash,
          path: soul.path,
          walSeq: wal.lastSeq,
          ...(failure ? { error: `write-ahead log failed: ${failure}` } : {}),
        });
      } catch (error) {
        sendJson(response, 500, { ok: false, pid: process.pid, error: (error as Error).message });
      }
      return;
    }
    sendJson(response, 404, { ok: false, error: 'not found' });
  };

  if (replay.tornTailDropped) log('[identity] dropped a torn last record from the write-ahead log (crash mid-write)');
  if (replay.corruptLines > 0) log(`[identity] skipped ${replay.corruptLines} unreadable record(s) in the write-ahead log`);
  let server: Server | undefined;
  let port: number;
  try {
    // Read BEAUVOIR.md before listening, so a missing persona fails the start like a busy port does.
    const soulPlan = planSoul(config.grimoiresDir, config.workspaceDir);
    server = createServer(handle);
    await listen(server, config.port, config.host);
    const address = server.address();
    port = typeof address === 'object' && address ? address.port : config.port;
    wal.advertise(port, config.host);
    // Serving from here: the callbacks above run only after this synchronous block.
    if (record('start', { pid: process.pid })) starts += 1;
    applySoul(soulPlan);
  } catch (error) {
    server?.close();
    wal.close();
    throw error;
  }
  const listening = server;
  const recorded = wal.failure ? 'start NOT recorded (see the error above)' : `start #${starts}`;
  log(`[identity] replayed ${replay.records.length} record(s); ${recorded}; listening on http://${config.host}:${port}/health`);

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= new Promise<void>((resolvePromise) => {
      // Keep-alive sockets would hold close() open; a restart must release the port at once.
      listening.closeAllConnections();
      listening.close(() => {
        wal.close();
        resolvePromise();
      });
    });
    return stopping;
  };
  return { server: listening, wal, port, regenerateSoul, stop };
}
