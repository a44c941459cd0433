import type { LoadedDataset } from '../data/types';
import { stratifiedSample, stratifiedSplit } from '../data/subsample';
import { Rng } from '../util/rng';

/**
 * The training images of a run, split once per seed:
 * - `fit`: the images the teacher takes gradient steps on;
 * - `studentFit`: those the student (and the student alone) takes gradient steps on: `fit`
 *   itself, or, with `data.limit.student`, a class-balanced seeded subset of it (the student
 *   learns from fewer labelled images than the teacher saw);
 * - `val`: held out for model selection (the best checkpoint of each stage), as TBT's held-out
 *   probes, and as TET's quiz (its first half trains TET, the second half measures it).
 * Indices refer to `dataset.train`.
 */
export interface Splits {
  fit: Int32Array;
  studentFit: Int32Array;
  val: Int32Array;
  quizTrain: Int32Array;
  quizTest: Int32Array;
  /** Fit images whose recorded behaviour trains TBT (a seeded subset of `fit`). */
  probe: Int32Array;
}

export const MAX_PROBES = 2048;

/**
 * `studentLimit` (`data.limit.student`): at most this many of the fit images train the student.
 * Drawn by their own seeded stream, so the teacher's splits are the same with or without it and
 * one recorded teacher serves students of any subset size.
 */
export function makeSplits(ds: LoadedDataset, validation: number, seed: number, studentLimit?: number): Splits {
  const { kept, held } = stratifiedSplit(ds.train.y, validation, Rng.derive(seed, 'split/validation'));
  const fit = Int32Array.from(kept).sort();
  const val = Int32Array.from(held).sort();
  const half = Math.floor(val.length / 2);
  const shuffledVal = Rng.derive(seed, 'split/quiz').shuffle(Int32Array.from(val)) as Int32Array;
  const probeOrder = Rng.derive(seed, 'split/probe').shuffle(Int32Array.from(fit)) as Int32Array;
  const studentFit =
    studentLimit !== undefined && studentLimit < fit.length
      ? Int32Array.from(stratifiedSample(Int32Array.from(fit, (i) => ds.train.y[i]), studentLimit, Rng.derive(seed, 'split/student')), (k) => fit[k]).sort()
      : fit;
  return {
    fit,
    studentFit,
    val,
    quizTrain: shuffledVal.slice(0, half).sort(),
    quizTest: shuffledVal.slice(half).sort(),
    probe: probeOrder.slice(0, Math.min(MAX_PROBES, fit.length)).sort(),
  };
}
