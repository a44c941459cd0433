import * as tf from '@tensorflow/tfjs-core';
import { option, required, temperatureOf } from './common';
import { crossEntropy, klDivWithTemperature } from './losses';
import type { BatchContext, DistillMethod, MethodFactory, MethodNeeds, MethodSetup } from './types';

/**
 * Logit distillation with mdistiller's weighting (cfg.KD: CE_WEIGHT 0.1, KD_WEIGHT 0.9):
 * `ce = (1 - alpha) * CE(y, s)` and `kd = alpha * T^2 * KL(softmax(t/T) || softmax(s/T))`,
 * alpha = `method.alpha` (default 0.9), T = `method.temperature` (default 4). RCO uses the same
 * terms with another teacher signal, so the choice of teacher logits is a parameter.
 */
export function logitDistillation(
  name: string,
  needs: MethodNeeds,
  teacherLogits: (batch: BatchContext) => tf.Tensor2D | undefined,
  signal: string,
): MethodFactory {
  return (setup: MethodSetup): DistillMethod => {
    const alpha = option(setup.spec.alpha, 0.9, 'method.alpha', 0, 1);
    const temperature = temperatureOf(setup);
    return {
      name,
      needs,
      labelWeight: 1 - alpha,
      extraVariables: () => [],
      losses: (batch) => {
        const teacher = required(teacherLogits(batch), name, signal);
        return tf.tidy(() => ({
          ce: tf.mul(crossEntropy(batch.studentLogits, batch.oneHot), 1 - alpha) as tf.Scalar,
          kd: tf.mul(klDivWithTemperature(teacher, batch.studentLogits, temperature), alpha) as tf.Scalar,
        }));
      },
      dispose: () => undefined,
    };
  };
}

/** KD: Hinton, Vinyals & Dean, "Distilling the Knowledge in a Neural Network", 2015. */
export const kd: MethodFactory = logitDistillation('kd', { finalLogits: true }, (b) => b.teacher.finalLogits, 'final logits');
