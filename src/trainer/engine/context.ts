import * as fs from 'node:fs';
import type { Experiment } from '../../protocol/experiment';
import type { Phase } from '../../protocol/runDir';
import type { LoadedDataset } from '../data/types';
import type { RunDirectory } from '../runDir/runDirectory';
import type { Splits } from './splits';
import type { LoopSpec, StopToken } from './trainLoop';
import type { Network } from '../../protocol/runDir';

/** What every phase of a run works with. */
export interface RunContext {
  experiment: Experiment;
  /** The experiment file (or the run's experiment.json on resume), for error messages. */
  experimentFile: string;
  run: RunDirectory;
  dataset: LoadedDataset;
  splits: Splits;
  stop: StopToken;
  /** Reports progress of a phase (0..1) to the run's status. */
  progress(phase: Phase, fraction: number): void;
  log(message: string): void;
}

/** One timestamped line of a run's trainer.log (one write: lines from two threads never mix). */
export function appendLogLine(file: string, message: string): void {
  fs.appendFileSync(file, `${new Date().toISOString()} ${message}\n`);
}

/**
 * Progress reports at most twice a second, and always the last one (fraction 1): a view, not a
 * log. The answer says whether this report is to go through.
 */
export function progressThrottle(ms = 500): (fraction: number) => boolean {
  let last = 0;
  return (fraction) => {
    const now = Date.now();
    if (now - last <= ms && fraction < 1) return false;
    last = now;
    return true;
  };
}

/** The seed that picks the images and splits them (data.seed, else the experiment's seed). */
export function dataSeed(exp: Experiment): number {
  return exp.data.seed ?? exp.seed;
}

/** What the teacher's and the student's training loops share: data, splits, schedule, stop. */
export function sharedLoopSpec(
  ctx: RunContext,
  network: Network,
): Pick<LoopSpec, 'network' | 'training' | 'augment' | 'seed' | 'dataset' | 'fit' | 'val' | 'run' | 'stop' | 'checkpointSeconds' | 'onProgress'> {
  return {
    network,
    training: ctx.experiment.training,
    // The teacher alone trains on augmented batches; the student sees the images un-augmented,
    // the same images its teacher signals (cached logits, trajectory, TBT / TET outputs, and the
    // feature maps FitNet and AT compute on the fly) are read or computed on.
    augment: network === 'teacher' ? ctx.experiment.data.augment : undefined,
    seed: ctx.experiment.seed,
    dataset: ctx.dataset,
    // The student alone learns from the student's images: it is the yardstick of the student's gain.
    fit: network === 'teacher' ? ctx.splits.fit : ctx.splits.studentFit,
    val: ctx.splits.val,
    run: ctx.run,
    stop: ctx.stop,
    checkpointSeconds: 30,
    onProgress: (f) => ctx.progress(network, f),
  };
}
