import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap } from '@tensorflow/tfjs-core';

/**
 * The gradient of FusedBatchNorm (tf.batchNorm) with fewer and larger ops than tfjs-core's.
 * With xc = x - mean, r = rsqrt(variance + eps), s = scale (1 when absent), and sums over the
 * axes that mean broadcasts along:
 *   dx = dy * s*r              doffset = sum(dy)            dscale = r * sum(dy*xc)
 *   dmean = -s*r * sum(dy)     dvariance = -s*r^3/2 * sum(dy*xc)
 * That is four passes over the activation (xc, dy*xc, two sums; dx a fifth) where tfjs-core's
 * makes about fifteen, among them a Tile of r to the activation's shape and three full-size
 * products that it then sums. The values are the same formulas, so they match it to rounding.
 * In training mode mean and variance are tf.moments of x, and their own gradients (Mean, Sub,
 * Square) carry dmean and dvariance on to x as before.
 */
export const fusedBatchNormGradConfig: GradConfig = {
  kernelName: tf.FusedBatchNorm,
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const g = dy as tf.Tensor;
    const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
    const [x, mean, variance, scale] = saved;
    const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const sumTo = (t: tf.Tensor): tf.Tensor => (axes.length > 0 ? tf.reshape(tf.sum(t, axes), mean.shape) : t);
    // Shared by several input gradients; computed here (the engine's outer scope disposes them).
    const r = tf.rsqrt(tf.add(variance, varianceEpsilon));
    const scaleR = scale == null ? r : tf.mul(scale, r);
    const sumDy = sumTo(g);
    const sumDyXc = tf.tidy(() => sumTo(tf.mul(g, tf.sub(x, mean))));
    return {
      x: () => tf.reshape(tf.mul(g, scaleR), x.shape),
      mean: () => tf.neg(tf.mul(scaleR, sumDy)),
      variance: () => tf.mul(tf.mul(scaleR, tf.mul(tf.square(r), -0.5)), sumDyXc),
      scale: () => tf.mul(r, sumDyXc),
      offset: () => tf.clone(sumDy),
    };
  },
};
