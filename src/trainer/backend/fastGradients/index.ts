import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';
import { fusedBatchNormGradConfig } from './batchNorm';
import { batchNormTrainingGradConfig } from './batchNormTraining';
import { meanGradConfig, sumGradConfig } from './broadcastReductions';

/**
 * Gradient functions SKD Lab registers in place of tfjs-core's for the same kernels: the same
 * mathematics with fewer, larger ops (the cost of a training step on wasm was dominated by the
 * many small ops of tfjs-core's batch-norm and reduction gradients). Gradients are global to
 * tf.js, not per backend; they are written with tf ops and so run on every backend. Last, the
 * gradient of SKD Lab's own batch-norm training kernel (wasm only; tfjs-core has none to replace).
 */
export const FAST_GRADIENTS: readonly GradConfig[] = [fusedBatchNormGradConfig, sumGradConfig, meanGradConfig, batchNormTrainingGradConfig];

/** tfjs-core's gradients that these replace, as registered before the first replacement. */
const replaced = new Map<string, GradConfig>();

/** Registers the faster gradients (replacing tfjs-core's); calling it again is harmless. */
export function registerFastGradients(): void {
  for (const config of FAST_GRADIENTS) {
    const current = tf.getGradient(config.kernelName);
    if (current && current !== config && !replaced.has(config.kernelName)) replaced.set(config.kernelName, current);
    tf.registerGradient(config);
  }
}

/** Puts tfjs-core's gradients back (for tests that compare the two). */
export function restoreOriginalGradients(): void {
  for (const config of replaced.values()) tf.registerGradient(config);
}
