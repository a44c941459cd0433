import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../util/rng';
import { option, required, tapPairs } from './common';
import { crossEntropy, matchSpatial, meanSquaredError } from './losses';
import type { DistillMethod, MethodFactory, MethodSetup } from './types';

/** FitNets: Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015. */
export const fitnet: MethodFactory = (setup: MethodSetup): DistillMethod => {
  // ce + hint, hint = beta * MSE(r(F_S^h), F_T^h) at ONE tap pair h, the middle one (`hintTap`:
  // index 1 of the built-in families' three stage outputs), as Romero et al. guide a middle
  // layer, and as mdistiller's FitNet.py (HINT_LAYER 2 of [stem, stage1, stage2, stage3]) and
  // RepDistiller (--hint_layer 2) do. beta = `method.beta`, default 100 (mdistiller's
  // FITNET FEAT_WEIGHT, RepDistiller's `-b 100`). The regressor r is the references' ConvReg
  // for maps of equal size: conv 1x1 -> BatchNorm (batch statistics, eps 1e-5) -> ReLU, from the
  // student's channels to the teacher's. Its convolution has no bias: the batch-mean
  // subtraction of BatchNorm removes any bias exactly (its gradient would be 0). The regressor is
  // not exported, so BatchNorm keeps no running statistics. Initialised as torch does (kernel
  // uniform in +-1/sqrt(fan_in), gamma 1, shift 0), from the run's seed. If a plugin model's
  // tap sizes differ, the teacher map is resized (bilinear) to the student's.
  const beta = option(setup.spec.beta, 100, 'method.beta');
  const pairs = tapPairs(setup);
  if (pairs < 1) throw new Error('method "fitnet" needs at least one feature tap on the student and the teacher');
  const h = hintTap(pairs);
  const reg = convReg(setup.studentTapChannels[h], setup.teacherTapChannels[h], Rng.derive(setup.seed, 'fitnet', 'regressor', h));
  const vars = [reg.kernel, reg.gamma, reg.shift];
  return {
    name: 'fitnet',
    needs: { teacherFeatures: true },
    extraVariables: () => vars,
    losses: (batch) => {
      const teacher = required(batch.teacher.features, 'fitnet', 'feature maps');
      const hint = tf.tidy(() => {
        const s = batch.studentFeatures[h];
        const regressed = applyConvReg(reg, s);
        return tf.mul(meanSquaredError(regressed, matchSpatial(teacher[h], s)), beta) as tf.Scalar;
      });
      return { ce: crossEntropy(batch.studentLogits, batch.oneHot), hint };
    },
    dispose: () => vars.forEach((v) => v.dispose()),
  };
};

/** The hint tap of `pairs` tap pairs: the middle one, the shallower of two middles (3 -> 1, 4 -> 1). */
export function hintTap(pairs: number): number {
  return Math.max(0, Math.floor((pairs - 1) / 2));
}

/** BatchNorm's epsilon, torch's default. */
export const BN_EPS = 1e-5;

export interface ConvReg {
  /** [1, 1, student channels, teacher channels]. */
  kernel: tf.Variable<tf.Rank.R4>;
  /** BatchNorm scale and shift, [teacher channels]. */
  gamma: tf.Variable<tf.Rank.R1>;
  shift: tf.Variable<tf.Rank.R1>;
}

function convReg(inChannels: number, outChannels: number, rng: Rng): ConvReg {
  // torch's Conv2d default (kaiming_uniform with a = sqrt(5)): uniform in +-1/sqrt(fan_in).
  const bound = 1 / Math.sqrt(inChannels);
  const values = new Float32Array(inChannels * outChannels);
  for (let i = 0; i < values.length; i++) values[i] = bound * (2 * rng.next() - 1);
  // tidy frees the initial values; the variables themselves outlive it.
  return tf.tidy(() => ({
    kernel: tf.variable(tf.tensor4d(values, [1, 1, inChannels, outChannels])),
    gamma: tf.variable(tf.ones<tf.Rank.R1>([outChannels])),
    shift: tf.variable(tf.zeros<tf.Rank.R1>([outChannels])),
  }));
}

/**
 * relu(BN(conv1x1(x))) in training mode: per channel, (y - mean) / sqrt(var + eps) * gamma +
 * shift with the biased mean and variance over batch, height and width (torch's BatchNorm2d).
 */
export function applyConvReg(reg: ConvReg, x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const y = tf.conv2d(x, reg.kernel, 1, 'valid');
    const { mean, variance } = tf.moments(y, [0, 1, 2]);
    const normed = tf.mul(tf.sub(y, mean), tf.rsqrt(tf.add(variance, BN_EPS)));
    return tf.relu(tf.add(tf.mul(normed, reg.gamma), reg.shift)) as tf.Tensor4D;
  });
}
