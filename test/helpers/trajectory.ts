/**
 * Synthetic teacher trajectories for the SKD meta-network tests, written with the real
 * `Trajectory` class into a temporary folder.
 */
import { Trajectory, type StageRecord } from '../../src/trainer/skd/trajectory';
import { Rng } from '../../src/trainer/util/rng';

export interface SyntheticSpec {
  dir: string;
  stages: number;
  classes: number;
  images: number;
  tapChannels: number[];
  /** Stage record k (logits and behaviour per tap), as plain arrays. */
  stage(k: number): StageRecord;
  /** The epoch of stage k's best checkpoint (default k). */
  bestEpoch?(k: number): number;
}

export function writeTrajectory(spec: SyntheticSpec): Trajectory {
  const t = Trajectory.create(spec.dir, {
    stages: spec.stages,
    classes: spec.classes,
    taps: spec.tapChannels.map((_, l) => `block${l + 1}`),
    tapChannels: spec.tapChannels,
    images: spec.images,
    data: { name: 'synthetic', train: spec.images, test: 0, seed: 1, shape: [1, 1, 1] },
  });
  for (let k = 0; k < spec.stages; k++) t.record(k, spec.stage(k), { bestEpoch: spec.bestEpoch?.(k) ?? k, bestValAcc: 0.5 + k / 100, endEpoch: spec.bestEpoch?.(k) ?? k });
  return t;
}

/** Uniform values in [lo, hi) from a seeded generator. */
export function uniform(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.next();
  return a;
}

export interface EpochTrajectorySpec {
  dir: string;
  classes: number;
  images: number;
  /** Every epoch's checkpoint logits, [images * classes] each. */
  epochs: Float32Array[];
  /** plan[e]: the stage of epoch e. */
  plan: number[];
  /** best[k]: the best epoch of stage k, whose logits are the stage's. */
  best: number[];
  /** The behaviour of stage k at one tap of 2 channels (default zeros). */
  behaviour?(k: number): Float32Array;
  /** Validation accuracy of epoch e (default 0.5). */
  valAcc?(e: number): number;
}

/** A format-2 trajectory: its stages and every epoch's logits, as the teacher phase records them. */
export function writeEpochTrajectory(spec: EpochTrajectorySpec): Trajectory {
  const t = writeTrajectory({
    dir: spec.dir,
    stages: spec.best.length,
    classes: spec.classes,
    images: spec.images,
    tapChannels: [2],
    stage: (k) => ({ logits: spec.epochs[spec.best[k]], behaviour: [spec.behaviour?.(k) ?? new Float32Array(spec.images * 2)] }),
    bestEpoch: (k) => spec.best[k],
  });
  spec.epochs.forEach((logits, e) => t.recordEpoch({ epoch: e, stage: spec.plan[e], valAcc: spec.valAcc?.(e) ?? 0.5 }, logits));
  return t;
}
