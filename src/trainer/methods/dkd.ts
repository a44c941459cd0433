import * as tf from '@tensorflow/tfjs-core';
import { option, required, temperatureOf } from './common';
import { crossEntropy, decoupledKd } from './losses';
import type { DistillMethod, MethodFactory, MethodSetup } from './types';

/** DKD: Zhao et al., "Decoupled Knowledge Distillation", CVPR 2022. */
export const dkd: MethodFactory = (setup: MethodSetup): DistillMethod => {
  // tckd = alpha * w * T^2 KL(b_T || b_S), nckd = beta * w * T^2 KL(p~_T || p~_S), ce = CE at
  // weight 1, as in mdistiller's DKD.py. alpha, beta and warmup come from `method.dkd`
  // (defaults 1, 8 and 20% of the student's epochs). The warm-up weight w rises linearly:
  // w = min((epoch + 1) / warmup, 1) for the 0-based epoch, so the first epoch has 1/warmup
  // (mdistiller's `min(epoch / warmup, 1)` with its 1-based epochs); warmup 0 turns it off.
  const cfg = setup.spec.dkd ?? {};
  const alpha = option(cfg.alpha, 1, 'method.dkd.alpha');
  const beta = option(cfg.beta, 8, 'method.dkd.beta');
  const warmup = cfg.warmup === undefined ? undefined : option(cfg.warmup, 0, 'method.dkd.warmup');
  const temperature = temperatureOf(setup);
  return {
    name: 'dkd',
    needs: { finalLogits: true },
    extraVariables: () => [],
    losses: (batch) => {
      const teacher = required(batch.teacher.finalLogits, 'dkd', 'final logits');
      const w = dkdWarmup(batch.epoch, warmup ?? defaultWarmup(batch.epochs));
      return tf.tidy(() => {
        const { tckd, nckd } = decoupledKd(teacher, batch.studentLogits, batch.oneHot, temperature);
        return {
          ce: crossEntropy(batch.studentLogits, batch.oneHot),
          tckd: tf.mul(tckd, alpha * w) as tf.Scalar,
          nckd: tf.mul(nckd, beta * w) as tf.Scalar,
        };
      });
    },
    dispose: () => undefined,
  };
};

/** 20% of the epochs, at least one. */
export function defaultWarmup(epochs: number): number {
  return Math.max(1, Math.round(0.2 * epochs));
}

/** The DKD terms' weight in 0-based `epoch`: rises linearly to 1 over `warmup` epochs. */
export function dkdWarmup(epoch: number, warmup: number): number {
  return warmup <= 0 ? 1 : Math.min((epoch + 1) / warmup, 1);
}
