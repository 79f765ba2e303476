import type { WalRecord } from './wal.ts';
import { VERSION } from './version.ts';

export interface HealthPayload {
  ok: true;
  service: 'loa-identity';
  version: string;
  pid: number;
  startedAt: string;
  starts: number;
  walSeq: number;
  soulHash: string;
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
}): HealthPayload {
  return { ok: true, service: 'loa-identity', version: VERSION, ...state };
}
