import * as tf from '@tensorflow/tfjs-core';
import type { LossTerms } from './types';

/**
 * The distillation warm-up every method shares: all terms but the labels' `ce` rise linearly
 * from 0 to full weight over the first `warmup` epochs of the student, batch by batch. While a
 * student is still at chance its logits are far from any teacher's, and a T^2-scaled KL (or a
 * hint weighted 100 or 1000) would swamp the labels and the step size; mdistiller ramps DKD
 * the same way over 20 of 240 epochs. `method.warmup` sets it (0: off); by default it is 1/12
 * of the student's epochs, at least one.
 */
export function defaultWarmup(epochs: number): number {
  return Math.max(1, Math.round(epochs / 12));
}

/** The weight of the distillation terms after `progress` epochs (fractional). */
export function warmupWeight(progress: number, warmup: number): number {
  return warmup <= 0 ? 1 : Math.min(1, progress / warmup);
}

/**
 * The labels' weight during the warm-up, as a factor on a `ce` term that carries the method's
 * own label weight `labelWeight` (KD's 1 - alpha): with `fromLabels` the labels start at full
 * weight, as for the student alone, and hand over to the method's mix, `labelWeight + (1 -
 * labelWeight)(1 - w)`, as the distillation terms rise; otherwise 1 (the `ce` term as given). A
 * method without labels (`labelWeight` 0) has nothing to hand over.
 */
export function labelFactor(w: number, labelWeight: number | undefined, fromLabels: boolean): number {
  if (!fromLabels || labelWeight === undefined || labelWeight <= 0 || labelWeight >= 1 || w >= 1) return 1;
  return (labelWeight + (1 - labelWeight) * (1 - w)) / labelWeight;
}

/**
 * The terms with every one but `ce` scaled by the warm-up weight, and `ce` by `labelFactor`
 * (inside the caller's tape).
 */
export function warmedUp(terms: LossTerms, progress: number, warmup: number, labelWeight?: number, fromLabels = false): LossTerms {
  const w = warmupWeight(progress, warmup);
  if (w >= 1) return terms;
  const labels = labelFactor(w, labelWeight, fromLabels);
  return Object.fromEntries(
    Object.entries(terms).map(([k, v]) => [k, k === 'ce' ? (labels === 1 ? v : (tf.mul(v, labels) as tf.Scalar)) : (tf.mul(v, w) as tf.Scalar)]),
  );
}
