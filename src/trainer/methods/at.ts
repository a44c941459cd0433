import * as tf from '@tensorflow/tfjs-core';
import { option, required, tapPairs } from './common';
import { attentionMap, crossEntropy, matchSpatial, meanSquaredError } from './losses';
import type { DistillMethod, MethodFactory, MethodSetup } from './types';

/** AT: Zagoruyko & Komodakis, "Paying More Attention to Attention", ICLR 2017. */
export const at: MethodFactory = (setup: MethodSetup): DistillMethod => {
  // at = beta/2 * sum over tap pairs of mean_{batch, positions} (Q_S - Q_T)^2, Q the per-sample
  // L2-normalised attention map (mean over channels of f^2). This is the authors' code
  // (szagoruyko/attention-transfer: `(at(x) - at(y)).pow(2).mean()` per group, times beta/2
  // with beta = 1e3), which the paper describes as beta/2 with beta = 1000 divided by the
  // number of elements of the map and the batch size. `method.beta` defaults to 1000 here.
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
        return tf.mul(tf.addN(perTap), beta / 2) as tf.Scalar;
      });
      return { ce: crossEntropy(batch.studentLogits, batch.oneHot), at: term };
    },
    dispose: () => undefined,
  };
};
