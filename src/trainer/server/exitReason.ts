import type { RunExit } from './runProcess';

/** Why a child process (a run or an export) ended, in words, for the run's status and the log. */
export function exitReason(exit: RunExit): string {
  if (exit.adoptedPid !== undefined) {
    return exit.killed ? 'killed after the stop grace period' : `its process (pid ${exit.adoptedPid}) ended without a final status`;
  }
  const how = exit.spawnError
    ? `could not start: ${exit.spawnError}`
    : exit.killed
      ? 'killed after the stop grace period'
      : exit.signal
        ? `killed by ${exit.signal}`
        : `exited with code ${exit.code}`;
  return exit.lastStderr && !exit.spawnError ? `${how}: ${exit.lastStderr}` : how;
}
