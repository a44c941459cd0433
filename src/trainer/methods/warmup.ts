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

/** The terms with every one but `ce` scaled by the warm-up weight (inside the caller's tape). */
export function warmedUp(terms: LossTerms, progress: number, warmup: number): LossTerms {
  const w = warmupWeight(progress, warmup);
  if (w >= 1) return terms;
  return Object.fromEntries(Object.entries(terms).map(([k, v]) => [k, k === 'ce' ? v : (tf.mul(v, w) as tf.Scalar)]));
}
