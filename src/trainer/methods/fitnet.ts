import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../util/rng';
import { option, required, tapPairs } from './common';
import { crossEntropy, matchSpatial, meanSquaredError } from './losses';
import type { DistillMethod, MethodFactory, MethodSetup } from './types';

/** FitNets: Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015. */
export const fitnet: MethodFactory = (setup: MethodSetup): DistillMethod => {
  // hint = beta * mean over tap pairs of MSE(regressor_l(F_S^l), F_T^l); beta = `method.beta`
  // (default 1). Each regressor is a learned 1x1 convolution with bias from the student's
  // channels to the teacher's, He-normal from the run's seed; the teacher map is resized to
  // the student's spatial size if the two differ.
  const beta = option(setup.spec.beta, 1, 'method.beta');
  const regressors = Array.from({ length: tapPairs(setup) }, (_, l) =>
    conv1x1(setup.studentTapChannels[l], setup.teacherTapChannels[l], Rng.derive(setup.seed, 'fitnet', 'regressor', l)),
  );
  return {
    name: 'fitnet',
    needs: { teacherFeatures: true },
    extraVariables: () => regressors.flatMap((r) => [r.kernel, r.bias]),
    losses: (batch) => {
      const teacher = required(batch.teacher.features, 'fitnet', 'feature maps');
      const hint = tf.tidy(() => {
        const perTap = regressors.map((r, l) => {
          const s = batch.studentFeatures[l];
          const projected = tf.add(tf.conv2d(s, r.kernel, 1, 'valid'), r.bias);
          return meanSquaredError(projected, matchSpatial(teacher[l], s));
        });
        return tf.mul(tf.mean(tf.stack(perTap)), beta) as tf.Scalar;
      });
      return { ce: crossEntropy(batch.studentLogits, batch.oneHot), hint };
    },
    dispose: () => regressors.forEach((r) => (r.kernel.dispose(), r.bias.dispose())),
  };
};

interface Conv1x1 {
  kernel: tf.Variable<tf.Rank.R4>;
  bias: tf.Variable<tf.Rank.R1>;
}

function conv1x1(inChannels: number, outChannels: number, rng: Rng): Conv1x1 {
  const std = Math.sqrt(2 / inChannels);
  const values = new Float32Array(inChannels * outChannels);
  for (let i = 0; i < values.length; i++) values[i] = std * standardNormal(rng);
  // tidy frees the initial values; the variables themselves outlive it.
  return tf.tidy(() => ({
    kernel: tf.variable(tf.tensor4d(values, [1, 1, inChannels, outChannels])),
    bias: tf.variable(tf.zeros<tf.Rank.R1>([outChannels])),
  }));
}

/** Box-Muller from the run's generator, so the initial regressor is the same for the same seed. */
function standardNormal(rng: Rng): number {
  const u = 1 - rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}
