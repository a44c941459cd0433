/**
 * The runs that start and resume requests ask for, checked before they are queued: what is
 * refused here (a missing or invalid experiment file, a run that is running or done) is
 * refused at once, with the reason, rather than queued only to fail in the child.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StartRunParams } from '../../protocol/lsp';
import { createRunDir, experimentInfo, readRunInfo } from '../runDir/runFiles';
import { type ManagedRun, now } from './managedRun';
import { RunRequestError } from './runRequestError';

/** A new run of an experiment file, its folder reserved (empty, so the command line accepts it as a new run). */
export function newRun(params: StartRunParams, check?: (experimentFile: string) => string | undefined): ManagedRun {
  const file = path.resolve(params.experimentFile);
  if (!fs.existsSync(file)) throw new RunRequestError(`experiment file not found: ${file}`);
  const problem = check?.(file);
  if (problem) throw new RunRequestError(`${path.basename(file)}: ${problem}`);
  const { name, method, seed } = experimentInfo(file);
  const dir = createRunDir(path.resolve(params.outDir), name);
  return {
    dir,
    name,
    method,
    seed,
    experimentFile: file,
    backend: params.backend,
    mode: 'run',
    status: { state: 'queued', updated: now() },
    stopRequested: false,
  };
}

/**
 * The continuation of a stopped, failed or interrupted run in `dir`; `previous` is this
 * server's earlier record of it, whose experiment file it keeps.
 */
export function resumedRun(dir: string, previous: ManagedRun | undefined): ManagedRun {
  const onDisk = readRunInfo(dir);
  if (!onDisk) throw new RunRequestError(`not a run directory (no status.json): ${dir}`);
  if (onDisk.status.state === 'running') throw new RunRequestError(`the run is still running (pid ${onDisk.status.pid}): ${dir}`);
  if (onDisk.status.state === 'done') throw new RunRequestError(`the run is already done: ${dir}`);
  const run: ManagedRun = {
    dir,
    name: onDisk.name,
    method: onDisk.method,
    seed: onDisk.seed,
    experimentFile: previous?.experimentFile,
    mode: 'resume',
    status: { ...onDisk.status, state: 'queued', updated: now() },
    stopRequested: false,
  };
  delete run.status.error;
  return run;
}
