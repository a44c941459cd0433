import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap } from '@tensorflow/tfjs-core';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD } from '../wasmKernels/batchNormTraining';

/**
 * The gradient of SKD Lab's batch-norm training kernel: one call of its gradient kernel gives
 * all three input gradients (see batchNormTraining.ts for the formulas). The mean and variance
 * outputs feed only the moving averages, so their upstream gradients (zeros) are not used.
 */
export const batchNormTrainingGradConfig: GradConfig = {
  kernelName: BATCH_NORM_TRAINING,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [false, true, true],
  gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const dy = Array.isArray(dys) ? dys[0] : dys;
    const [x, scale, mean, variance] = saved;
    const [dx, dscale, doffset] = tf.engine().runKernel(BATCH_NORM_TRAINING_GRAD, { dy, x, scale, mean, variance }, attrs) as tf.Tensor[];
    return { x: () => dx, scale: () => dscale, offset: () => doffset };
  },
};
