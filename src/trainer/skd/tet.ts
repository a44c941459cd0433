import * as tf from '@tensorflow/tfjs-core';
import type { MethodSpec } from '../../protocol/experiment';
import type { TetEvent } from '../../protocol/runDir';
import { Rng } from '../util/rng';
import { calibration, gatherRows, meanKl, softmaxRows } from './metrics';
import type { Trajectory } from './trajectory';

/**
 * Teacher Experience Teaching (SKD.md, step 4): one small network, conditioned on a stage
 * embedding, that maps the best-of-stage teacher logits z_k(x) to refined logits
 *   r_k(x) = (z_k(x) + delta(x, k)) / tau(x, k),
 * a residual correction and a per-sample temperature. It is trained on the quiz split to be
 * correct and calibrated (cross-entropy with the labels) while staying close to the teacher's
 * own best-of-stage distribution (KL weight `tet.kl`). Its output layer starts at zero, so
 * TET starts as the identity (tau = 1, delta = 0).
 */

/** A stage's experience metrics, as the `tet` event of the run's log carries them. */
export type TetStageMetrics = Omit<TetEvent, 'type' | 'time'>;

export interface TetResult {
  metrics: TetStageMetrics[];
  /** refined[k]: refined logits of stage k for every training image, [images * classes]. */
  refined: Float32Array[];
  weights: { name: string; shape: number[]; data: Float32Array }[];
}

/** The smallest temperature TET may use (keeps the division safe). */
const TAU_MIN = 0.05;
/** softplus(x + ln(e^(1 - TAU_MIN) - 1)) + TAU_MIN = 1 at x = 0: TET starts as the identity. */
const TAU_SHIFT = Math.log(Math.expm1(1 - TAU_MIN));

export class ExperienceRefiner {
  private readonly w1: tf.Variable;
  private readonly b1: tf.Variable;
  private readonly w2: tf.Variable;
  private readonly b2: tf.Variable;
  private readonly classes: number;
  private readonly stages: number;

  constructor(
    private readonly trajectory: Trajectory,
    spec: MethodSpec,
    seed: number,
  ) {
    this.classes = trajectory.meta.classes;
    this.stages = trajectory.meta.stages;
    const hidden = spec.tet?.hidden ?? 32;
    const inputs = 2 * this.classes + this.stages;
    const rng = Rng.derive(seed, 'tet-init');
    const a = Math.sqrt(6 / (inputs + hidden));
    const initSeed = rng.seed();
    [this.w1, this.b1, this.w2, this.b2] = tf.tidy(() => [
      tf.variable(tf.randomUniform([inputs, hidden], -a, a, 'float32', initSeed)),
      tf.variable(tf.zeros([hidden])),
      tf.variable(tf.zeros([hidden, this.classes + 1])),
      tf.variable(tf.zeros([this.classes + 1])),
    ]);
  }

  /**
   * Features of one stage's logits: the logits centred per row, their softmax (what the
   * teacher believes) and the stage's one-hot embedding.
   */
  private refine(logits: tf.Tensor2D, stage: number): tf.Tensor2D {
    const n = logits.shape[0];
    const centred = tf.sub(logits, tf.mean(logits, 1, true));
    const probs = tf.softmax(logits);
    const stageEmb = tf.tile(tf.cast(tf.oneHot(tf.tensor1d([stage], 'int32'), this.stages), 'float32'), [n, 1]);
    const features = tf.concat([centred, probs, stageEmb], 1);
    const hidden = tf.relu(tf.add(tf.matMul(features, this.w1), this.b1));
    const out = tf.add(tf.matMul(hidden, this.w2), this.b2);
    const delta = tf.slice(out, [0, 0], [n, this.classes]);
    const tau = tf.add(tf.softplus(tf.add(tf.slice(out, [0, this.classes], [n, 1]), TAU_SHIFT)), TAU_MIN);
    return tf.div(tf.add(logits, delta), tau) as tf.Tensor2D;
  }

  private stageLogits(stage: number, indices: ArrayLike<number>): tf.Tensor2D {
    return tf.tensor2d(gatherRows(this.trajectory.stage(stage).logits, this.classes, indices), [indices.length, this.classes]);
  }

  train(quiz: Int32Array, labels: Int32Array, spec: MethodSpec, seed: number): void {
    const epochs = spec.tet?.epochs ?? 80;
    const klWeight = spec.tet?.kl ?? 1;
    const optimizer = tf.train.adam(spec.tet?.lr ?? 0.01);
    const vars = [this.w1, this.b1, this.w2, this.b2];
    const batch = 256;
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = Rng.derive(seed, 'tet-order', epoch).shuffle(Int32Array.from(quiz)) as Int32Array;
      for (let start = 0; start < order.length; start += batch) {
        const idx = order.subarray(start, Math.min(order.length, start + batch));
        tf.tidy(() => {
          const y = tf.cast(tf.oneHot(tf.tensor1d(Array.from(idx, (i) => labels[i]), 'int32'), this.classes), 'float32');
          const inputs = Array.from({ length: this.stages }, (_, k) => this.stageLogits(k, idx));
          optimizer.minimize(() => {
            const terms = inputs.map((z, k) => {
              const logQ = tf.logSoftmax(this.refine(z, k));
              const ce = tf.neg(tf.mean(tf.sum(tf.mul(y, logQ), 1)));
              const p = tf.softmax(z);
              const kl = tf.mean(tf.sum(tf.mul(p, tf.sub(tf.logSoftmax(z), logQ)), 1));
              return tf.add(ce, tf.mul(kl, klWeight));
            });
            return tf.div(tf.addN(terms), terms.length) as tf.Scalar;
          }, false, vars);
        });
      }
    }
    optimizer.dispose();
  }

  /** Refined logits for all training images per stage, and metrics on the held-out quiz images. */
  evaluate(quizTest: Int32Array, labels: Int32Array): TetResult {
    const { images } = this.trajectory.meta;
    const c = this.classes;
    const refined: Float32Array[] = [];
    const metrics: TetStageMetrics[] = [];
    for (let k = 0; k < this.stages; k++) {
      const out = new Float32Array(images * c);
      const chunk = 4096;
      for (let start = 0; start < images; start += chunk) {
        const idx = Array.from({ length: Math.min(chunk, images - start) }, (_, i) => start + i);
        tf.tidy(() => out.set(this.refine(this.stageLogits(k, idx), k).dataSync() as Float32Array, start * c));
      }
      refined.push(out);
      const n = quizTest.length;
      const y = Array.from(quizTest, (i) => labels[i]);
      const q = softmaxRows(gatherRows(out, c, quizTest), n, c);
      const p = softmaxRows(gatherRows(this.trajectory.stage(k).logits, c, quizTest), n, c);
      const mine = calibration(q, y, n, c);
      const teacher = calibration(p, y, n, c);
      metrics.push({
        stage: k,
        accuracy: mine.accuracy,
        ece: mine.ece,
        entropy: mine.entropy,
        klToTeacher: meanKl(p, q, n, c),
        teacherAccuracy: teacher.accuracy,
        teacherEce: teacher.ece,
      });
    }
    const weights = (['w1', 'b1', 'w2', 'b2'] as const).map((k) => ({ name: k, shape: [...this[k].shape], data: Float32Array.from(this[k].dataSync() as Float32Array) }));
    return { metrics, refined, weights };
  }

  dispose(): void {
    [this.w1, this.b1, this.w2, this.b2].forEach((v) => v.dispose());
  }
}
