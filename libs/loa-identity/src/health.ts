import type { WalRecord } from './wal.ts';
import { VERSION } from './version.ts';

export interface HealthPayload {
  /** False when the write-ahead log lost a write: the state below is no longer what is on disk. */
  ok: boolean;
  service: 'loa-identity';
  version: string;
  pid: number;
  startedAt: string;
  starts: number;
  walSeq: number;
  soulHash: string;
  error?: string;
}

export function countStarts(records: readonly WalRecord[]): number {
  return records.filter((record) => record.type === 'start').length;
}

export function healthPayload(state: {
  pid: number;
  startedAt: string;
  starts: number;
  walSeq: number;
  soulHash: string;
  walFailure?: string | null;
}): HealthPayload {
  const { walFailure, ...rest } = state;
  const payload: HealthPayload = { ok: !walFailure, service: 'loa-identity', version: VERSION, ...rest };
  if (walFailure) payload.error = `write-ahead log failed: ${walFailure}`;
  return payload;
}
