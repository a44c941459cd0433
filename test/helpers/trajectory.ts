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
