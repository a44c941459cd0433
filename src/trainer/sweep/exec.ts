import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_FILES } from '../../protocol/runDir';
import { resumeRun, runExperiment, type RunOutcome } from '../engine/run';
import type { StopToken } from '../engine/trainLoop';
import { InputError } from '../errors';
import { readStatus, readSummary } from '../runDir/runFiles';
import { isTrainerAlive } from '../runDir/trainerIdentity';
import { readPlan, runDirOf } from './plan';

/**
 * One run of a sweep, as every executor starts it (`skd sweep exec <sweep folder> <run>`): a
 * finished run is skipped, an interrupted, stopped or failed one resumes from its checkpoint
 * (`skd resume`), any other starts from its experiment file. Running it twice is harmless.
 */
export type ExecResult = { state: 'done' | 'skipped' | 'stopped'; dir: string; outcome?: RunOutcome };

export async function execSweepRun(sweepDir: string, name: string, opts: { stop: StopToken; log?: (line: string) => void }): Promise<ExecResult> {
  const plan = readPlan(sweepDir);
  const run = plan.runs.find((r) => r.name === name);
  if (!run) throw new InputError(sweepDir, undefined, `the sweep has no run "${name}" (runs: ${plan.runs.map((r) => r.name).join(', ')})`);
  const dir = runDirOf(sweepDir, name);
  if (readSummary(dir) && readStatus(dir)?.state === 'done') {
    opts.log?.(`${name}: finished earlier, skipped`);
    return { state: 'skipped', dir };
  }
  if (run.teacher && readStatus(runDirOf(sweepDir, run.teacher))?.state !== 'done') {
    throw new InputError(sweepDir, `run ${name}`, `its teacher run "${run.teacher}" has not finished`);
  }
  const status = readStatus(dir);
  const common = { stop: opts.stop, log: opts.log };
  let outcome: RunOutcome;
  if (status && fs.existsSync(path.join(dir, RUN_FILES.experiment))) {
    if (status.state === 'running' && status.pid !== process.pid && isTrainerAlive(status)) {
      throw new InputError(dir, 'status', `still training in process ${status.pid}`);
    }
    opts.log?.(`${name}: resuming the interrupted run (${status.state}${status.phase ? `, ${status.phase}` : ''})`);
    outcome = await resumeRun(dir, common);
  } else {
    // A folder without a status is a run that never got going: start it afresh.
    fs.rmSync(dir, { recursive: true, force: true });
    outcome = await runExperiment(path.join(sweepDir, run.experiment), { ...common, runDir: dir });
  }
  return { state: outcome.state === 'done' ? 'done' : 'stopped', dir, outcome };
}
