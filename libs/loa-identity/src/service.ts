import { createServer, type Server } from 'node:http';
import type { IdentityConfig } from './config.ts';
import { countStarts, healthPayload } from './health.ts';
import { regenerateSoul } from './soul.ts';
import { WriteAheadLog } from './wal.ts';

export interface RunningIdentity {
  server: Server;
  wal: WriteAheadLog;
  port: number;
  stop(): Promise<void>;
}

type Log = (message: string) => void;

/** Replays the log, records this start, brings SOUL.md up to date, then serves /health. */
export async function startIdentity(config: IdentityConfig, log: Log = (m) => console.log(m)): Promise<RunningIdentity> {
  const wal = new WriteAheadLog(config.dataDir);
  const replay = wal.replay();
  if (replay.tornTailDropped) log('[identity] dropped a torn last record from the write-ahead log (crash mid-write)');
  if (replay.corruptLines > 0) log(`[identity] skipped ${replay.corruptLines} unreadable record(s) in the write-ahead log`);
  let starts = countStarts(replay.records);
  const startedAt = new Date().toISOString();
  wal.append('start', { pid: process.pid });
  starts += 1;

  const soul = regenerateSoul(config.grimoiresDir, config.workspaceDir);
  if (soul.changed) {
    wal.append('soul', { hash: soul.hash });
    log(`[identity] SOUL.md regenerated (${soul.hash})`);
  }

  const server = createServer((request, response) => {
    if (request.method === 'GET' && (request.url === '/health' || request.url === '/healthz')) {
      const body = healthPayload({ pid: process.pid, startedAt, starts, walSeq: wal.lastSeq, soulHash: soul.hash });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ ok: false, error: 'not found' }));
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolvePromise());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log(`[identity] replayed ${replay.records.length} record(s); start #${starts}; listening on http://${config.host}:${port}/health`);

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= new Promise<void>((resolvePromise) => {
      // Keep-alive sockets would hold close() open; a restart must release the port at once.
      server.closeAllConnections();
      server.close(() => {
        wal.close();
        resolvePromise();
      });
    });
    return stopping;
  };
  return { server, wal, port, stop };
}
