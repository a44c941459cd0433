/**
 * Runs that outlive the server that started them (the window closed, the server crashed or was
 * restarted): one still training is adopted by the next server, known by the identity its
 * status.json records (pid, start time, host, boot id), never by its pid alone.
 */
import * as path from 'node:path';
import type { RunInfo } from '../../protocol/lsp';
import { readRunInfo, readStatus } from '../runDir/runFiles';
import { isTrainerAlive, isTrainerElsewhere } from '../runDir/trainerIdentity';
import type { ManagedRun } from './managedRun';
import { AdoptedProcess } from './runProcess';
import { RunRequestError } from './runRequestError';

/**
 * The run in `dir` as this server's own, with its process watched, if the trainer recorded
 * there is still training on this machine; undefined for any other run.
 */
export function adoptableRun(dir: string, pollMs: number, graceMs: number): ManagedRun | undefined {
  const status = readStatus(dir);
  // The recorded trainer itself (pid, start time, host, boot id), not whatever has its pid now.
  if (status?.state !== 'running' || !isTrainerAlive(status)) return undefined;
  const info = readRunInfo(dir);
  return {
    dir,
    name: info?.name ?? path.basename(dir),
    method: info?.method ?? '',
    seed: info?.seed,
    mode: 'resume',
    status,
    stopRequested: false,
    process: new AdoptedProcess({ ...status, pid: status.pid as number }, pollMs, graceMs),
  };
}

/**
 * A run this server neither follows nor could adopt, as Stop answers it: its info from disk,
 * or a refusal when it trains on another host (its pid means nothing here: never signal it).
 */
export function unadoptedRunInfo(dir: string): RunInfo {
  const info = readRunInfo(dir);
  if (!info) throw new RunRequestError(`not a run directory: ${dir}`);
  const status = readStatus(dir);
  if (status?.state === 'running' && isTrainerElsewhere(status)) {
    throw new RunRequestError(`${path.basename(dir)} trains on ${status.host}, not on this machine: stop it there (a sweep on Slurm: skd sweep cancel <sweep folder>)`);
  }
  return info;
}
