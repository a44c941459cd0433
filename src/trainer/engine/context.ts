import type { Experiment } from '../../protocol/experiment';
import type { Phase } from '../../protocol/runDir';
import type { LoadedDataset } from '../data/types';
import type { RunDirectory } from './runDirectory';
import type { Splits } from './splits';
import type { StopToken } from './trainLoop';

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
