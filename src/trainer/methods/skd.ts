import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../util/rng';
import { option, required, tapPairs, temperatureOf } from './common';
import { actionSimilarity, crossEntropy, klDivWithTemperature, normalizedL2, similarityPreserving } from './losses';
import type { BatchContext, Curriculum, DistillMethod, MethodFactory, MethodNeeds, MethodSetup } from './types';

/**
 * SKD: Yang et al., "Skill-Transferring Knowledge Distillation Method", IEEE TCSVT 2023, as
 * reconstructed in docs/method.md. SKD contains KD and adds to it. In student stage k, with
 * t(k) the teacher stage it looks ahead to (the next one; the final teacher from the
 * second-to-last stage on):
 *   L = (1 - a) CE(y, s) + a T^2 KL(softmax(z_final/T) || softmax(s/T))          "ce", "kd"
 *     + g a T^2 KL(softmax(TET_e(x)/T) || softmax(s/T))     where a stage is taught "experience"
 *     + b * mean_l SP(GAP(F_S^l), TBT_l(B_<t^l))     while t(k) < K-1    "behaviour"
 * The first line is KD with the final teacher; the stage's experience TET_e (its best
 * checkpoint, calibrated and corrected from the trajectory, docs/method.md) adds where the
 * teacher was next while the student is early (e = t(k)), and with `tet.late` (default on) the
 * latest taught stage stays beside the final teacher afterwards; the engine looks ahead only to a stage that TET
 * found adds to the final teacher's on held-out images (an early checkpoint far behind the final
 * one does not), and otherwise to the final teacher, for the behaviour too; TBT_l(B_<t) is the behaviour the teacher's
 * behaviour network predicts for stage t from the stages before it. While the student learns
 * from the final teacher there is nothing for TBT to predict, and no behaviour term
 * (`method.tbt.final: true` keeps one towards the final teacher's recorded behaviour).
 * SP compares how the student and the teacher relate the images of a batch at tap l
 * (similarity-preserving KD); `method.tbt.match: "regression"` regresses the teacher's
 * descriptors through a learned adapter instead, and `"action"` asks the student to change its
 * relations from the start of its stage as the teacher's changed from its previous stage to the
 * predicted one (the teacher's action, applied to the student's own behaviour; studied in
 * docs/method.md).
 * The ablations remove one part each: without TBT no behaviour term; without TET the stage
 * term uses the raw best-of-stage logits; without stages every student stage learns from the
 * final teacher, so no stage term and (unless `tbt.final`) no behaviour term: KD.
 */
interface SkdParts {
  experience: boolean;
  behaviour: boolean;
  stages: boolean;
}

function skdFactory(name: string, parts: SkdParts): MethodFactory {
  return (setup: MethodSetup): DistillMethod => {
    const alpha = option(setup.spec.alpha, 0.9, 'method.alpha', 0, 1);
    const gamma = parts.stages ? option(setup.spec.tet?.weight, SKD_DEFAULT_GAMMA, 'method.tet.weight', 0) : 0;
    const beta = option(setup.spec.beta, SKD_DEFAULT_BETA, 'method.beta', 0);
    const temperature = temperatureOf(setup);
    const match = setup.spec.tbt?.match ?? 'similarity';
    // `tbt.final` (default false): the behaviour term also while the student learns from the final
    // teacher, whose behaviour is recorded, not predicted by TBT (docs/method.md).
    const finalBehaviour = setup.spec.tbt?.final === true;
    // Without stages every student stage learns from the final teacher: no behaviour term is left
    // unless `tbt.final` asks for the recorded one.
    const pairs = parts.behaviour && beta > 0 && (parts.stages || finalBehaviour) ? tapPairs(setup) : 0;
    const curriculum: Curriculum = parts.stages ? (setup.spec.curriculum ?? 'lookahead') : 'none';
    const rng = Rng.derive(setup.seed, 'skd-adapters');
    const adapters =
      match === 'regression'
        ? Array.from({ length: pairs }, (_, l) => {
            const fanIn = setup.studentTapChannels[l];
            const fanOut = setup.behaviourSizes[l];
            const a = Math.sqrt(6 / (fanIn + fanOut));
            const seed = rng.seed();
            // Created in a tidy so the initial values do not outlive the variables.
            return tf.tidy(() => ({ w: tf.variable(tf.randomUniform([fanIn, fanOut], -a, a, 'float32', seed)), b: tf.variable(tf.zeros([fanOut])) }));
          })
        : [];
    // `tet.final` (a studied variant, docs/method.md): the KD term distils TET's last-stage
    // experience instead of the final teacher's raw logits.
    const finalFromTet = setup.spec.tet?.final === true;
    const needs: MethodNeeds = finalFromTet ? { finalExperience: true } : { finalLogits: true };
    // `tet.correctFinal`: the final teacher's mistakes on its own training images corrected from
    // its trajectory, as TET corrects each stage's experience; part of TET, so not without it.
    if (!finalFromTet && parts.experience && setup.spec.tet?.correctFinal === true) needs.correctedFinal = true;
    if (gamma > 0) needs[parts.experience ? 'experience' : 'stageLogits'] = true;
    // Without TET the curriculum stays SKD's: the same check chooses the stages, on their raw logits.
    if (gamma > 0 && !parts.experience && parts.stages) needs.stageCheck = true;
    if (pairs > 0) needs.behaviour = true;
    if (pairs > 0 && match === 'action') needs.actions = true;
    // With `tet.late` (default on) the engine also hands over an earlier stage's experience
    // while the student learns from the final teacher; never without stages.
    const lateStages = parts.stages && setup.spec.tet?.late !== false;
    return {
      name,
      needs,
      labelWeight: 1 - alpha,
      curriculum,
      extraVariables: () => adapters.flatMap((a) => [a.w, a.b]),
      losses: (batch: BatchContext) => {
        const final = finalFromTet ? required(batch.teacher.finalExperience, name, "TET's final experience") : required(batch.teacher.finalLogits, name, 'final logits');
        // The stage's experience while the student looks ahead to a teacher stage before the last
        // (the engine looks ahead only to stages that TET found add to the final teacher's).
        const late = lateStages && (parts.experience ? batch.teacher.experience : batch.teacher.stageLogits) !== undefined;
        const staged = gamma > 0 && (batch.teacherStage < batch.teacherStages - 1 || late);
        const target = !staged
          ? undefined
          : parts.experience
            ? required(batch.teacher.experience, name, "TET's experience")
            : required(batch.teacher.stageLogits, name, 'best-of-stage logits');
        return tf.tidy(() => {
          const terms: Record<string, tf.Scalar> = {
            ce: tf.mul(crossEntropy(batch.studentLogits, batch.oneHot), 1 - alpha) as tf.Scalar,
            kd: tf.mul(klDivWithTemperature(final, batch.studentLogits, temperature), alpha) as tf.Scalar,
          };
          if (target) terms.experience = tf.mul(klDivWithTemperature(target, batch.studentLogits, temperature), gamma * alpha) as tf.Scalar;
          // The final teacher's behaviour is recorded, not predicted by TBT: none is taught then unless `tbt.final`.
          if (pairs > 0 && (finalBehaviour || batch.teacherStage < batch.teacherStages - 1)) {
            const behaviour = required(batch.teacher.behaviour, name, "TBT's behaviour");
            const distances = Array.from({ length: pairs }, (_, l) => {
              const pooled = tf.mean(batch.studentFeatures[l], [1, 2]) as tf.Tensor2D;
              if (match === 'regression') {
                const a = adapters[l];
                return normalizedL2(tf.add(tf.matMul(pooled, a.w), a.b) as tf.Tensor2D, behaviour[l]);
              }
              // The teacher's first stage has no stage before it (the aligned curriculum): no action, its behaviour.
              if (match === 'action' && batch.teacherStage > 0) {
                const start = required(batch.studentStart, name, "the student's behaviour at the start of its stage");
                const previous = required(batch.teacher.previousBehaviour, name, "the teacher's previous behaviour");
                return actionSimilarity(pooled, start[l], behaviour[l], previous[l]);
              }
              return similarityPreserving(pooled, behaviour[l]);
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

/** Weight of the behaviour term (chosen on validation data, docs/method.md). */
export const SKD_DEFAULT_BETA = 20;
/** Weight of the stage experience relative to the final teacher's (checked on validation against 0.5 and 2: docs/method.md, "The stage weight"). */
export const SKD_DEFAULT_GAMMA = 1;

export const skd = skdFactory('skd', { experience: true, behaviour: true, stages: true });
export const skdNoTbt = skdFactory('skd-no-tbt', { experience: true, behaviour: false, stages: true });
export const skdNoTet = skdFactory('skd-no-tet', { experience: false, behaviour: true, stages: true });
export const skdNoStages = skdFactory('skd-no-stages', { experience: true, behaviour: true, stages: false });
