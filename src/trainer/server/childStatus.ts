/**
 * The status of a run as its trainer writes it (status.json), as the run manager polls it: what
 * belongs to the process it follows, what of a change is news to the client, and how a run
 * ended when its process died without saying.
 */
import * as fs from 'node:fs';
import type { RunState, RunStatus } from '../../protocol/runDir';
import { readStatus, writeStatus } from '../runDir/runFiles';
import { exitReason } from './exitReason';
import { FINAL, type ManagedRun, now } from './managedRun';
import type { RunExit } from './runProcess';

/**
 * status.json as the child wrote it; undefined while it still holds what was there before
 * the child started (a resumed run's old `stopped`), which says nothing about this process.
 */
export function childStatus(run: ManagedRun): RunStatus | undefined {
  const disk = readStatus(run.dir);
  if (!disk || (run.statusBefore !== undefined && disk.updated === run.statusBefore)) return undefined;
  return disk;
}

export function isFinal(status: RunStatus | undefined): status is RunStatus {
  return status !== undefined && FINAL.includes(status.state);
}

/** Whole percent of a status's progress, the step the client is told about. */
export function progressPercent(status: RunStatus): number {
  return Math.floor((status.progress ?? 0) * 100);
}

/** Whether a new status says anything the client has not been told (updated times alone do not). */
export function statusChanged(before: RunStatus, after: RunStatus): boolean {
  return (
    before.state !== after.state ||
    before.phase !== after.phase ||
    before.error !== after.error ||
    progressPercent(before) !== progressPercent(after) ||
    before.backend !== after.backend
  );
}

/** The message of a running run's progress notification: its phase and backend. */
export function progressMessage(status: RunStatus): string | undefined {
  return status.phase ? `${status.phase}${status.backend ? ` (${status.backend})` : ''}` : undefined;
}

/**
 * How a run ended once its process is gone: the final status it wrote, else one that says why
 * (killed, crashed, out of memory, or never got going), recorded in status.json while keeping
 * everything the run wrote, so it stays resumable.
 */
export function endedStatus(run: ManagedRun, exit: RunExit, onWriteError: (e: Error) => void): RunStatus {
  const disk = childStatus(run);
  if (isFinal(disk)) return disk;
  const reason = exitReason(exit);
  const state: RunState = run.stopRequested ? 'stopped' : 'failed';
  const base = disk ?? readStatus(run.dir) ?? run.status;
  const status: RunStatus = { ...base, state, error: run.stopRequested ? `stopped: ${reason}` : reason, updated: now() };
  try {
    if (fs.existsSync(run.dir)) writeStatus(run.dir, status);
  } catch (e) {
    onWriteError(e as Error);
  }
  return status;
}
