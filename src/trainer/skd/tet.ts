import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_STAGE_CHECK, measuresAgainstAlone, type MethodSpec, type StageCheckName } from '../../protocol/experiment';
import type { TetEvent } from '../../protocol/runDir';
import { argmax } from '../engine/evaluate';
import { concatFloat32 } from '../util/float32';
import { calibration, gatherRows, meanKl, softmaxRows } from './metrics';
import type { Trajectory } from './trajectory';

/**
 * Teacher Experience Teaching (SKD.md, step 4): the optimal output-layer knowledge of each
 * learning stage. By the end of stage k the teacher has passed through the checkpoints of
 * epochs 1..e_k; its experience at that stage is the best mixture of them with a temperature,
 *   r_k(x) = (sum_e w_e log softmax(z_e(x))) / tau_k,     w = softmax(v) over the checkpoints,
 * fitted to the labels (negative log-likelihood) on the held-out quiz images. Intermediate
 * checkpoints and their ensembles are better teachers than a single final one (Wang et al.,
 * NeurIPS 2022; Snapshot Distillation, CVPR 2019); the mixture weights choose how much of each,
 * and tau_k fixes the calibration a stage's checkpoints lack.
 *
 * Cross-fitting keeps TET honest: it is fitted on each half of the quiz split and measured on
 * the other; only when that held-out likelihood beats the stage's raw best checkpoint, without
 * losing accuracy, is the mixture used (fitted on the whole quiz). Otherwise the stage's
 * experience is the raw best checkpoint itself (`identity` in its metrics): TET never hands the
 * student a target that is worse than the teacher on data neither has trained on.
 */

/** A stage's experience metrics, as the `tet` event of the run's log carries them. */
export type TetStageMetrics = Omit<TetEvent, 'type' | 'time'>;

export interface TetResult {
  metrics: TetStageMetrics[];
  /** refined[k]: experience logits of stage k for every training image, [images * classes]. */
  refined: Float32Array[];
  weights: { name: string; shape: number[]; data: Float32Array }[];
}

/** Optimiser steps and learning rate of each fit (full batch, Adam). */
export const TET_DEFAULT_STEPS = 300;
export const TET_DEFAULT_LR = 0.05;
/** Starting logit of every checkpoint but the stage's best: the fit starts at the raw teacher. */
const OTHER_START = -6;

interface Fit {
  /** Mixture weights over the candidate epochs. */
  weights: Float32Array;
  temperature: number;
}

export interface TetOptions {
  steps?: number;
  lr?: number;
  /** Mix the checkpoints up to the stage; false (default): the stage's best checkpoint, with a temperature. */
  mix?: boolean;
  /** Correct each training image's experience from the trajectory where it is wrong (default true). */
  correct?: boolean;
  /** How SKD decides that a stage adds to the final teacher (see `StageCheckName`). */
  check?: StageCheckName;
  /**
   * The student alone's best validation accuracy (the yardstick of `ahead` and `ahead-only`);
   * without it `ahead` decides as `confidence` does and `ahead-only` teaches no stage.
   */
  aloneAccuracy?: number;
}

export function tetOptions(spec: MethodSpec): TetOptions {
  return { steps: spec.tet?.epochs, lr: spec.tet?.lr, mix: spec.tet?.mix, correct: spec.tet?.correct, check: spec.tet?.check ?? DEFAULT_STAGE_CHECK };
}

/**
 * The checkpoints TET may mix for stage k: every recorded epoch up to the end of stage k (a
 * format-1 trajectory without epoch records offers only the best checkpoint of the stage).
 * The stage's best checkpoint comes first.
 */
export function candidateEpochs(trajectory: Trajectory, stage: number, mix = true): number[] {
  const rec = trajectory.meta.recorded.find((r) => r.stage === stage);
  if (!rec) throw new Error(`stage ${stage + 1} of the teacher trajectory was not recorded`);
  const records = trajectory.epochRecords;
  if (!mix || records.length === 0) return [rec.bestEpoch];
  return [rec.bestEpoch, ...records.filter((r) => r.stage <= stage && r.epoch !== rec.bestEpoch).map((r) => r.epoch)];
}

/** Logits of a candidate: an epoch's checkpoint, or (format 1) the stage's best-of-stage record. */
function candidateLogits(trajectory: Trajectory, stage: number, epoch: number): Float32Array {
  return trajectory.epochRecords.length ? trajectory.epochLogits(epoch) : trajectory.stageLogits(stage);
}

/** Row-wise log-softmax of gathered rows, as a plain array. */
function logSoftmaxRows(logits: Float32Array, n: number, c: number): Float32Array {
  const out = new Float32Array(n * c);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let j = 0; j < c; j++) max = Math.max(max, logits[i * c + j]);
    let z = 0;
    for (let j = 0; j < c; j++) z += Math.exp(logits[i * c + j] - max);
    const lz = max + Math.log(z);
    for (let j = 0; j < c; j++) out[i * c + j] = logits[i * c + j] - lz;
  }
  return out;
}

/** The mixture's logits for rows given each candidate's log-probabilities. */
export function mixLogits(logProbs: Float32Array[], fit: Fit, n: number, c: number): Float32Array {
  const out = new Float32Array(n * c);
  fit.weights.forEach((w, m) => {
    if (w === 0) return;
    const lp = logProbs[m];
    for (let i = 0; i < n * c; i++) out[i] += w * lp[i];
  });
  for (let i = 0; i < n * c; i++) out[i] /= fit.temperature;
  return out;
}

/** Mean negative log-likelihood of labels under logits. */
export function meanNll(logits: Float32Array, y: ArrayLike<number>, n: number, c: number): number {
  const lp = logSoftmaxRows(logits, n, c);
  let s = 0;
  for (let i = 0; i < n; i++) s -= lp[i * c + y[i]];
  return n ? s / n : 0;
}

/** Fits mixture weights and temperature to the labels of the given rows (full-batch Adam). */
export function fitMixture(logProbs: Float32Array[], y: ArrayLike<number>, n: number, c: number, opts: TetOptions): Fit {
  const m = logProbs.length;
  const steps = opts.steps ?? TET_DEFAULT_STEPS;
  return tf.tidy(() => {
    const stacked = tf.tensor3d(concatFloat32(logProbs), [m, n, c]);
    const oneHot = tf.cast(tf.oneHot(tf.tensor1d(Array.from(y), 'int32'), c), 'float32');
    const v = tf.variable(tf.tensor1d(Array.from({ length: m }, (_, i) => (i === 0 ? 0 : OTHER_START))));
    const s = tf.variable(tf.scalar(0));
    const optimizer = tf.train.adam(opts.lr ?? TET_DEFAULT_LR);
    for (let step = 0; step < steps; step++) {
      optimizer.minimize(() => {
        const w = tf.softmax(v);
        const mixed = tf.sum(tf.mul(stacked, tf.reshape(w, [m, 1, 1])), 0);
        const logits = tf.div(mixed, tf.exp(s));
        return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
      }, false, [v, s]);
    }
    optimizer.dispose();
    const fit = { weights: tf.softmax(v).dataSync() as Float32Array, temperature: Math.exp(s.dataSync()[0]) };
    v.dispose();
    s.dispose();
    return { weights: Float32Array.from(fit.weights), temperature: fit.temperature };
  });
}

const IDENTITY = (m: number): Fit => ({ weights: Float32Array.from({ length: m }, (_, i) => (i === 0 ? 1 : 0)), temperature: 1 });

/**
 * Fits every stage's experience on the two quiz halves (cross-fitted), measures it on the
 * held-out half, and gives the experience logits for all training images.
 */
export function fitExperience(trajectory: Trajectory, quizA: Int32Array, quizB: Int32Array, labels: Int32Array, opts: TetOptions = {}, fitImages?: Int32Array): TetResult {
  const { classes: c, images, stages } = trajectory.meta;
  const quiz = Int32Array.from([...quizA, ...quizB]);
  const judge = new StageJudge(trajectory, quiz, labels, opts.check ?? DEFAULT_STAGE_CHECK, fitImages, opts.aloneAccuracy);
  const metrics: TetStageMetrics[] = [];
  const refined: Float32Array[] = [];
  const weights: TetResult['weights'] = [];
  for (let k = 0; k < stages; k++) {
    const epochs = candidateEpochs(trajectory, k, opts.mix ?? false);
    const logits = epochs.map((e) => candidateLogits(trajectory, k, e));
    const rowsOf = (idx: Int32Array) => logits.map((l) => logSoftmaxRows(gatherRows(l, c, idx), idx.length, c));
    const [lpA, lpB] = [rowsOf(quizA), rowsOf(quizB)];
    const [yA, yB] = [Array.from(quizA, (i) => labels[i]), Array.from(quizB, (i) => labels[i])];
    // Out-of-fold: fitted on one half, measured on the other.
    const fitA = fitMixture(lpA, yA, quizA.length, c, opts);
    const fitB = fitMixture(lpB, yB, quizB.length, c, opts);
    const heldOut = Int32Array.from([...quizB, ...quizA]);
    const y = [...yB, ...yA];
    const n = heldOut.length;
    const oof = new Float32Array(n * c);
    oof.set(mixLogits(lpB, fitA, quizB.length, c), 0);
    oof.set(mixLogits(lpA, fitB, quizA.length, c), quizB.length * c);
    const raw = gatherRows(logits[0], c, heldOut);
    const tetNll = meanNll(oof, y, n, c);
    const rawNll = meanNll(raw, y, n, c);
    const q = softmaxRows(oof, n, c);
    const p = softmaxRows(raw, n, c);
    const mine = calibration(q, y, n, c);
    const teacher = calibration(p, y, n, c);
    // Never worse than the raw teacher on images neither fit saw.
    const better = tetNll < rawNll && mine.accuracy >= teacher.accuracy;
    const both = Int32Array.from([...quizA, ...quizB]);
    const fit = better ? fitMixture(rowsOf(both), Array.from(both, (i) => labels[i]), both.length, c, opts) : IDENTITY(epochs.length);
    const out = new Float32Array(images * c);
    const chunk = 4096;
    for (let start = 0; start < images; start += chunk) {
      const idx = Int32Array.from({ length: Math.min(chunk, images - start) }, (_, i) => start + i);
      out.set(mixLogits(rowsOf(idx), fit, idx.length, c), start * c);
    }
    // Before the correction, which reads labels: the quiz images' experience as TET gives it.
    const adds = judge.heldOutNllGain(out);
    const quizAccuracy = judge.heldOutAccuracyOf(out);
    const corrected = (opts.correct ?? true) ? correctFromTrajectory(out, logits, epochs, fit.temperature, labels, c) : 0;
    // What the student is taught on its training images: the experience as corrected.
    const verdict = judge.verdict(out, adds, quizAccuracy);
    refined.push(out);
    weights.push({ name: `stage-${k + 1}/weights`, shape: [epochs.length], data: fit.weights }, { name: `stage-${k + 1}/epochs`, shape: [epochs.length], data: Float32Array.from(epochs) });
    const shown = better ? mine : teacher;
    metrics.push({
      stage: k,
      accuracy: shown.accuracy,
      ece: shown.ece,
      entropy: shown.entropy,
      klToTeacher: better ? meanKl(p, q, n, c) : 0,
      teacherAccuracy: teacher.accuracy,
      teacherEce: teacher.ece,
      nll: better ? tetNll : rawNll,
      teacherNll: rawNll,
      temperature: fit.temperature,
      mixture: epochs.map((e, i) => ({ epoch: e, weight: fit.weights[i] })).filter((x) => x.weight >= 0.01),
      identity: !better,
      corrected: corrected / images,
      ...verdict,
    });
  }
  return { metrics, refined, weights };
}

/** A stage's check as the run's log and the comparison panel report it. */
export type StageVerdict = Pick<TetStageMetrics, 'addsToFinal' | 'check' | 'heldOutNllGain' | 'trainConfidence' | 'finalTrainConfidence' | 'finalHeldOutAccuracy' | 'heldOutAccuracy' | 'aloneAccuracy'>;

/**
 * Decides whether a stage's experience is taught next to the final teacher's (`StageCheckName`),
 * from the final teacher's distributions on the quiz images and on the training images the
 * student learns on (`fitImages`; by default every image that is not a quiz image).
 */
export class StageJudge {
  private readonly classes: number;
  private readonly quizY: number[];
  private readonly fit: Int32Array;
  private readonly finalQuiz: Float32Array;
  private readonly finalFit: Float32Array;
  private readonly heldOutAccuracy: number;

  constructor(
    trajectory: Trajectory,
    private readonly quiz: Int32Array,
    labels: ArrayLike<number>,
    readonly check: StageCheckName,
    fitImages?: Int32Array,
    /** The student alone's best validation accuracy (the yardstick of `ahead` and `ahead-only`). */
    private readonly aloneAccuracy?: number,
  ) {
    const c = (this.classes = trajectory.meta.classes);
    this.quizY = Array.from(quiz, (i) => labels[i]);
    const quizSet = new Set(quiz);
    this.fit = fitImages ?? Int32Array.from({ length: trajectory.meta.images }, (_, i) => i).filter((i) => !quizSet.has(i));
    const finalLogits = trajectory.finalLogits();
    this.finalQuiz = softmaxRows(gatherRows(finalLogits, c, quiz), quiz.length, c);
    this.finalFit = softmaxRows(gatherRows(finalLogits, c, this.fit), this.fit.length, c);
    this.heldOutAccuracy = calibration(this.finalQuiz, this.quizY, quiz.length, c).accuracy;
  }

  /** The held-out likelihood check (`addsToFinal`) on a stage's logits for every training image. */
  heldOutNllGain(stageLogits: Float32Array): boolean {
    const c = this.classes;
    return addsToFinal(softmaxRows(gatherRows(stageLogits, c, this.quiz), this.quiz.length, c), this.finalQuiz, this.quizY, c);
  }

  /** A stage's accuracy on the quiz images (take it before any correction, which reads their labels). */
  heldOutAccuracyOf(stageLogits: Float32Array): number {
    const c = this.classes;
    return calibration(softmaxRows(gatherRows(stageLogits, c, this.quiz), this.quiz.length, c), this.quizY, this.quiz.length, c).accuracy;
  }

  /** The verdict on the logits the student would be taught, given the likelihood check's answer and the stage's held-out accuracy. */
  verdict(stageLogits: Float32Array, heldOutNllGain = this.heldOutNllGain(stageLogits), heldOutAccuracy = this.heldOutAccuracyOf(stageLogits)): StageVerdict {
    const c = this.classes;
    const n = this.fit.length;
    const confidence = meanConfidence(softmaxRows(gatherRows(stageLogits, c, this.fit), n, c), this.finalFit, n, c);
    const softens = Math.abs(confidence.mixed - this.heldOutAccuracy) < Math.abs(confidence.final - this.heldOutAccuracy);
    const ahead = this.aloneAccuracy !== undefined && heldOutAccuracy > this.aloneAccuracy;
    const decided: Record<StageCheckName, boolean> = { none: true, likelihood: heldOutNllGain, confidence: softens, ahead: softens || ahead, 'ahead-only': ahead };
    return {
      addsToFinal: decided[this.check],
      check: this.check,
      heldOutNllGain,
      trainConfidence: confidence.mixed,
      finalTrainConfidence: confidence.final,
      finalHeldOutAccuracy: this.heldOutAccuracy,
      heldOutAccuracy,
      ...(measuresAgainstAlone(this.check) && this.aloneAccuracy !== undefined ? { aloneAccuracy: this.aloneAccuracy } : {}),
    };
  }
}

/**
 * The stage check on the raw best-of-stage logits, for SKD without TET (`skd-no-tet`): the same
 * curriculum as SKD's, with the stages' own logits in place of their experience.
 */
export function checkRawStages(trajectory: Trajectory, quiz: Int32Array, labels: ArrayLike<number>, check: StageCheckName, fitImages?: Int32Array, aloneAccuracy?: number): (StageVerdict & { stage: number })[] {
  const judge = new StageJudge(trajectory, quiz, labels, check, fitImages, aloneAccuracy);
  return Array.from({ length: trajectory.meta.stages }, (_, k) => ({ stage: k, ...judge.verdict(trajectory.stageLogits(k)) }));
}

/**
 * The teacher's best experience of an image it gets wrong: where the stage's experience
 * disagrees with an image's label, the latest checkpoint up to the stage that got that image
 * right is used instead (at the stage's temperature); where none did, the logits of the label
 * and of the wrongly preferred class are swapped (knowledge adjustment, Wen et al. 2021), so
 * the dark knowledge of the other classes is kept. The student then never learns a mistake
 * that the teacher made on its own training images. Returns how many images were corrected.
 */
export function correctFromTrajectory(out: Float32Array, candidates: Float32Array[], epochs: number[], temperature: number, labels: ArrayLike<number>, c: number): number {
  const n = out.length / c;
  // Latest epoch first.
  const order = epochs.map((e, i) => [e, i] as const).sort((a, b) => b[0] - a[0]).map(([, i]) => i);
  let corrected = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    const pred = argmax(out, i * c, c);
    if (pred === y) continue;
    corrected++;
    const right = order.find((m) => argmax(candidates[m], i * c, c) === y);
    if (right !== undefined) {
      const row = logSoftmaxRows(candidates[right].subarray(i * c, (i + 1) * c), 1, c);
      for (let j = 0; j < c; j++) out[i * c + j] = row[j] / temperature;
    } else {
      const a = out[i * c + y];
      out[i * c + y] = out[i * c + pred];
      out[i * c + pred] = a;
    }
  }
  return corrected;
}


/**
 * Whether a stage's experience adds to the final teacher's on held-out images: a student taught
 * both (SKD's KD term and its stage term, equal weights) is pulled towards their average, so the
 * average of the two distributions must have a lower negative log-likelihood (a proper scoring
 * rule) than the final teacher's alone. An early checkpoint far behind the final teacher fails
 * this, and SKD then does not teach it (docs/method.md). Accuracy is not asked to improve as well:
 * on a thousand quiz images it moves by a few images either way.
 */
export function addsToFinal(stage: Float32Array, final: Float32Array, y: ArrayLike<number>, c: number): boolean {
  const n = y.length;
  let nllMix = 0;
  let nllFinal = 0;
  for (let i = 0; i < n; i++) {
    nllMix -= Math.log(Math.max((stage[i * c + y[i]] + final[i * c + y[i]]) / 2, 1e-12));
    nllFinal -= Math.log(Math.max(final[i * c + y[i]], 1e-12));
  }
  return nllMix < nllFinal;
}

/**
 * Mean top-class probability, over the given rows, of the average of a stage's and the final
 * teacher's distributions (`mixed`: what a student taught both terms is pulled towards) and of
 * the final teacher's alone (`final`).
 */
export function meanConfidence(stage: Float32Array, final: Float32Array, n: number, c: number): { mixed: number; final: number } {
  let mixed = 0;
  let alone = 0;
  for (let i = 0; i < n; i++) {
    let m = 0;
    let f = 0;
    for (let j = 0; j < c; j++) {
      m = Math.max(m, (stage[i * c + j] + final[i * c + j]) / 2);
      f = Math.max(f, final[i * c + j]);
    }
    mixed += m;
    alone += f;
  }
  return n ? { mixed: mixed / n, final: alone / n } : { mixed: 0, final: 0 };
}

/**
 * The final teacher's logits for every training image (the best checkpoint overall, as its
 * moving batch-norm averages see it where the trajectory records it apart), corrected
 * from the trajectory when `correct` is set (SKD's `tet.correctFinal`): where they get a training
 * image wrong, the latest checkpoint up to the final one that got it right takes their place,
 * else the logits of the label and of the wrongly preferred class are swapped. No temperature:
 * only the teacher's mistakes change. Reports the share of corrected images through `log`.
 */
export function finalTeacherLogits(trajectory: Trajectory, correct: boolean, labels: ArrayLike<number>, log?: (line: string) => void): Float32Array {
  const raw = trajectory.finalLogits();
  if (!correct) return raw;
  const c = trajectory.meta.classes;
  const stage = trajectory.finalStage();
  // The final checkpoint and the ones before it (none after it: they are not the teacher's past).
  const [stageBest, ...others] = candidateEpochs(trajectory, stage, true);
  const best = trajectory.meta.final?.epoch ?? stageBest;
  const earlier = [stageBest, ...others].filter((e) => e < best);
  const epochs = [best, ...earlier];
  const out = Float32Array.from(raw);
  const corrected = correctFromTrajectory(out, [raw, ...earlier.map((e) => candidateLogits(trajectory, stage, e))], epochs, 1, labels, c);
  log?.(`TET: the final teacher's logits corrected from the trajectory on ${((corrected / trajectory.meta.images) * 100).toFixed(1)}% of the training images`);
  return out;
}
