import * as tf from '@tensorflow/tfjs-core';
import { option, required, tapPairs } from './common';
import { attentionMap, crossEntropy, matchSpatial, meanSquaredError } from './losses';
import type { DistillMethod, MethodFactory, MethodSetup } from './types';

/** AT: Zagoruyko & Komodakis, "Paying More Attention to Attention", ICLR 2017. */
export const at: MethodFactory = (setup: MethodSetup): DistillMethod => {
  // at = beta * sum over tap pairs of mean_{batch, positions} (Q_S - Q_T)^2, Q the per-sample
  // L2-normalised attention map (mean over channels of f^2, p = 2), beta = 1000: the form of
  // both distillation references, mdistiller (AT.py: FEAT_WEIGHT 1000 times the sum over the
  // three stage outputs of `(at(f_s) - at(f_t)).pow(2).mean()`) and RepDistiller (`Attention`
  // summed, -b 1000), whose CIFAR-100 AT figures we compare against. `method.beta` overrides it.
  const beta = option(setup.spec.beta, 1000, 'method.beta');
  const pairs = tapPairs(setup);
  return {
    name: 'at',
    needs: { teacherFeatures: true },
    extraVariables: () => [],
    losses: (batch) => {
      const teacher = required(batch.teacher.features, 'at', 'feature maps');
      const term = tf.tidy(() => {
        const perTap: tf.Scalar[] = [];
        for (let l = 0; l < pairs; l++) {
          const s = batch.studentFeatures[l];
          perTap.push(meanSquaredError(attentionMap(s), attentionMap(matchSpatial(teacher[l], s))));
        }
        return tf.mul(tf.addN(perTap), beta) as tf.Scalar;
      });
      return { ce: crossEntropy(batch.studentLogits, batch.oneHot), at: term };
    },
    dispose: () => undefined,
  };
};
