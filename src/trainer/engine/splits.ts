import type { LoadedDataset } from '../data/types';
import { stratifiedSplit } from '../data/subsample';
import { Rng } from '../util/rng';

/**
 * The training images of a run, split once per seed:
 * - `fit`: the images both networks take gradient steps on;
 * - `val`: held out for model selection (the best checkpoint of each stage), as TBT's held-out
 *   probes, and as TET's quiz (its first half trains TET, the second half measures it).
 * Indices refer to `dataset.train`.
 */
export interface Splits {
  fit: Int32Array;
  val: Int32Array;
  quizTrain: Int32Array;
  quizTest: Int32Array;
  /** Fit images whose recorded behaviour trains TBT (a seeded subset of `fit`). */
  probe: Int32Array;
}

export const MAX_PROBES = 2048;

export function makeSplits(ds: LoadedDataset, validation: number, seed: number): Splits {
  const { kept, held } = stratifiedSplit(ds.train.y, validation, Rng.derive(seed, 'split/validation'));
  const fit = Int32Array.from(kept).sort();
  const val = Int32Array.from(held).sort();
  const half = Math.floor(val.length / 2);
  const shuffledVal = Rng.derive(seed, 'split/quiz').shuffle(Int32Array.from(val)) as Int32Array;
  const probeOrder = Rng.derive(seed, 'split/probe').shuffle(Int32Array.from(fit)) as Int32Array;
  return {
    fit,
    val,
    quizTrain: shuffledVal.slice(0, half).sort(),
    quizTest: shuffledVal.slice(half).sort(),
    probe: probeOrder.slice(0, Math.min(MAX_PROBES, fit.length)).sort(),
  };
}
