import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../util/rng';
import { option, required, tapPairs, temperatureOf } from './common';
import { registerMethod } from './index';
import { crossEntropy, klDivWithTemperature, normalizedL2 } from './losses';
import type { BatchContext, DistillMethod, MethodFactory, MethodNeeds, MethodSetup } from './types';

/**
 * SKD: Yang et al., "Skill-Transferring Knowledge Distillation Method", IEEE TCSVT 2023, as
 * reconstructed in docs/method.md. In student stage k:
 *   L = (1 - a) CE(y, s) + a T^2 KL(q_k || softmax(s/T))                         "ce", "experience"
 *     + b * sum_l || n(P_l(GAP(F_S^l))) - n(TBT_l(B_1..k^l)) ||^2 / layers          "behaviour"
 * q_k = softmax(TET_k(z_k) / T) is TET's refined best-of-stage experience; TBT_l predicts the
 * teacher's next-stage behaviour at tap l; P_l is a learned linear adapter from the student's
 * pooled features to the teacher's descriptor size; n normalises rows.
 * The ablations drop one part: without TET the output term uses the final teacher's logits
 * (plain KD); without TBT there is no behaviour term.
 */
interface SkdParts {
  experience: boolean;
  behaviour: boolean;
}

function skdFactory(name: string, parts: SkdParts): MethodFactory {
  return (setup: MethodSetup): DistillMethod => {
    const alpha = option(setup.spec.alpha, 0.9, 'method.alpha', 0, 1);
    const ramp = parts.experience && (setup.spec.tet?.ramp ?? true);
    const beta = option(setup.spec.beta, 2, 'method.beta', 0);
    const temperature = temperatureOf(setup);
    const pairs = parts.behaviour ? tapPairs(setup) : 0;
    const rng = Rng.derive(setup.seed, 'skd-adapters');
    const adapters = Array.from({ length: pairs }, (_, l) => {
      const fanIn = setup.studentTapChannels[l];
      const fanOut = setup.behaviourSizes[l];
      const a = Math.sqrt(6 / (fanIn + fanOut));
      const seed = rng.seed();
      // Created in a tidy so the initial values do not outlive the variables.
      return tf.tidy(() => ({ w: tf.variable(tf.randomUniform([fanIn, fanOut], -a, a, 'float32', seed)), b: tf.variable(tf.zeros([fanOut])) }));
    });
    const needs: MethodNeeds = parts.experience ? { experience: true } : { finalLogits: true };
    if (parts.behaviour) needs.behaviour = true;
    return {
      name,
      needs,
      extraVariables: () => adapters.flatMap((a) => [a.w, a.b]),
      losses: (batch: BatchContext) => {
        const target = parts.experience
          ? required(batch.teacher.experience, name, "TET's refined experience")
          : required(batch.teacher.finalLogits, name, 'final logits');
        return tf.tidy(() => {
          // With `tet.ramp` (the default), an early stage's experience counts for less:
          // a = alpha * (k+1)/K, the rest of the weight going to the labels.
          const a = ramp ? (alpha * (batch.stage + 1)) / batch.stages : alpha;
          const terms: Record<string, tf.Scalar> = {
            ce: tf.mul(crossEntropy(batch.studentLogits, batch.oneHot), 1 - a) as tf.Scalar,
            experience: tf.mul(klDivWithTemperature(target, batch.studentLogits, temperature), a) as tf.Scalar,
          };
          if (pairs > 0) {
            const predicted = required(batch.teacher.behaviour, name, "TBT's predicted behaviour");
            const distances = adapters.map((a, l) => {
              const pooled = tf.mean(batch.studentFeatures[l], [1, 2]) as tf.Tensor2D;
              const projected = tf.add(tf.matMul(pooled, a.w), a.b) as tf.Tensor2D;
              return normalizedL2(projected, predicted[l]);
            });
            terms.behaviour = tf.mul(tf.addN(distances), beta / pairs) as tf.Scalar;
          }
          return terms;
        });
      },
      dispose: () => adapters.forEach((a) => (a.w.dispose(), a.b.dispose())),
    };
  };
}

export const skd = skdFactory('skd', { experience: true, behaviour: true });
export const skdNoTbt = skdFactory('skd-no-tbt', { experience: true, behaviour: false });
export const skdNoTet = skdFactory('skd-no-tet', { experience: false, behaviour: true });

registerMethod('skd', skd);
registerMethod('skd-no-tbt', skdNoTbt);
registerMethod('skd-no-tet', skdNoTet);
