import * as tf from '@tensorflow/tfjs-core';
import type { MethodSpec } from '../../protocol/experiment';
import type { TbtEvent } from '../../protocol/runDir';
import { Rng } from '../util/rng';
import { gatherRows, meanCosine, nmse } from './metrics';
import type { Trajectory } from './trajectory';

/**
 * Teacher Behavior Teaching (SKD.md, step 3): per tapped layer, a small recurrent network
 * that reads the teacher's behaviour descriptors B_1..B_k of an image and predicts B_{k+1}.
 * Descriptors are standardised per dimension; the cell (GRU or LSTM) feeds a linear read-out
 * that predicts the next *action* (B_{k+1} - B_k), added to B_k: a "no change" prior that
 * the network learns to correct.
 */

/** One tapped layer's behaviour-prediction metrics, as the `tbt` event carries them. */
export type TbtLayerMetrics = TbtEvent['layers'][number];

export interface TbtResult {
  /** metrics[j] = prediction of stage j+2 from stages 1..j+1 (0-based j), per layer. */
  metrics: TbtLayerMetrics[][];
  /**
   * predicted[s][l]: for every training image, layer l's predicted behaviour after student
   * stage s, i.e. B_{s+2} predicted from B_1..B_{s+1} (the last stage extrapolates).
   */
  predicted: Float32Array[][];
  weights: { name: string; shape: number[]; data: Float32Array }[];
}

interface Cell {
  w: tf.Variable; // [d, g*h]
  u: tf.Variable; // [h, g*h]
  b: tf.Variable; // [g*h]
  outW: tf.Variable; // [h, d]
  outB: tf.Variable; // [d]
}

const GATES = { gru: 3, lstm: 4 } as const;

/** Enough for the held-out NMSE to settle far below the no-change baseline (see docs/method.md). */
export const TBT_DEFAULT_EPOCHS = 20;

export class BehaviourPredictor {
  private readonly cells: Cell[];
  private readonly mean: Float32Array[];
  private readonly std: Float32Array[];
  private readonly kind: 'gru' | 'lstm';
  private readonly hidden: number;

  constructor(
    private readonly trajectory: Trajectory,
    spec: MethodSpec,
    seed: number,
  ) {
    this.kind = spec.tbt?.cell ?? 'gru';
    this.hidden = spec.tbt?.hidden ?? 64;
    const { tapChannels, images } = trajectory.meta;
    const stages = trajectory.meta.stages;
    const rng = Rng.derive(seed, 'tbt-init');
    const g = GATES[this.kind];
    const h = this.hidden;
    this.mean = [];
    this.std = [];
    this.cells = tapChannels.map((d, l) => {
      // Standardisation over all recorded stages and images of this layer.
      const mean = new Float32Array(d);
      const sq = new Float32Array(d);
      for (let k = 0; k < stages; k++) {
        const b = trajectory.stage(k).behaviour[l];
        for (let i = 0; i < images; i++) for (let j = 0; j < d; j++) {
          const v = b[i * d + j];
          mean[j] += v;
          sq[j] += v * v;
        }
      }
      const count = stages * images;
      const std = new Float32Array(d);
      for (let j = 0; j < d; j++) {
        mean[j] /= count;
        std[j] = Math.sqrt(Math.max(sq[j] / count - mean[j] * mean[j], 0)) + 1e-6;
      }
      this.mean.push(mean);
      this.std.push(std);
      const init = (shape: number[], fanIn: number) => tf.variable(tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), 'float32', rng.seed()));
      return tf.tidy(() => ({
        w: init([d, g * h], d),
        u: init([h, g * h], h),
        b: tf.variable(tf.zeros([g * h])),
        // A zero read-out starts TBT at the "no change" prediction.
        outW: tf.variable(tf.zeros([h, d])),
        outB: tf.variable(tf.zeros([d])),
      }));
    });
  }

  private variables(): tf.Variable[] {
    return this.cells.flatMap((c) => [c.w, c.u, c.b, c.outW, c.outB]);
  }

  /** Standardised behaviour of layer l, stage k, for the given images: [n, d]. */
  private z(l: number, k: number, indices: ArrayLike<number>): tf.Tensor2D {
    const d = this.trajectory.meta.tapChannels[l];
    const raw = gatherRows(this.trajectory.stage(k).behaviour[l], d, indices);
    for (let i = 0; i < raw.length; i++) raw[i] = (raw[i] - this.mean[l][i % d]) / this.std[l][i % d];
    return tf.tensor2d(raw, [indices.length, d]);
  }

  /** Runs layer l's cell over stages 0..last and returns the predicted z of stage last+1 for each step. */
  private unroll(l: number, inputs: tf.Tensor2D[]): tf.Tensor2D[] {
    const c = this.cells[l];
    const n = inputs[0].shape[0];
    const h = this.hidden;
    let state = tf.zeros([n, h]) as tf.Tensor2D;
    let memory = tf.zeros([n, h]) as tf.Tensor2D;
    const preds: tf.Tensor2D[] = [];
    for (const x of inputs) {
      const gx = tf.add(tf.matMul(x, c.w), c.b) as tf.Tensor2D;
      if (this.kind === 'gru') {
        const [xz, xr, xn] = tf.split(gx, 3, 1);
        const [hz, hr, hn] = tf.split(tf.matMul(state, c.u), 3, 1);
        const zt = tf.sigmoid(tf.add(xz, hz));
        const rt = tf.sigmoid(tf.add(xr, hr));
        const nt = tf.tanh(tf.add(xn, tf.mul(rt, hn)));
        state = tf.add(tf.mul(tf.sub(1, zt), nt), tf.mul(zt, state)) as tf.Tensor2D;
      } else {
        const [gi, gf, gg, go] = tf.split(tf.add(gx, tf.matMul(state, c.u)), 4, 1);
        memory = tf.add(tf.mul(tf.sigmoid(gf), memory), tf.mul(tf.sigmoid(gi), tf.tanh(gg))) as tf.Tensor2D;
        state = tf.mul(tf.sigmoid(go), tf.tanh(memory)) as tf.Tensor2D;
      }
      preds.push(tf.add(x, tf.add(tf.matMul(state, c.outW), c.outB)) as tf.Tensor2D);
    }
    return preds;
  }

  /** Trains on the probe images' recorded sequences (teacher forcing over all stages). */
  train(probe: Int32Array, spec: MethodSpec, seed: number, onEpoch?: (epoch: number, loss: number) => void): void {
    const stages = this.trajectory.meta.stages;
    if (stages < 2) return;
    const epochs = spec.tbt?.epochs ?? TBT_DEFAULT_EPOCHS;
    const optimizer = tf.train.adam(spec.tbt?.lr ?? 0.01);
    const vars = this.variables();
    const batch = 512;
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = Rng.derive(seed, 'tbt-order', epoch).shuffle(Int32Array.from(probe)) as Int32Array;
      let total = 0;
      let count = 0;
      for (let start = 0; start < order.length; start += batch) {
        const idx = order.subarray(start, Math.min(order.length, start + batch));
        const loss = tf.tidy((): tf.Scalar => {
          const seqs = this.cells.map((_, l) => Array.from({ length: stages }, (_, k) => this.z(l, k, idx)));
          return optimizer.minimize(() => {
            const terms: tf.Scalar[] = [];
            seqs.forEach((seq, l) => {
              const preds = this.unroll(l, seq.slice(0, stages - 1));
              preds.forEach((p, k) => terms.push(tf.mean(tf.square(tf.sub(p, seq[k + 1])))));
            });
            return tf.div(tf.addN(terms), terms.length) as tf.Scalar;
          }, true, vars) as tf.Scalar;
        });
        total += loss.dataSync()[0] * idx.length;
        count += idx.length;
        loss.dispose();
      }
      onEpoch?.(epoch, total / count);
    }
    optimizer.dispose();
  }

  /**
   * Predictions for all training images (for distillation) and metrics on the held-out ones.
   * Metrics are measured in standardised units, where every dimension counts alike.
   */
  evaluate(heldOut: Int32Array): TbtResult {
    const { stages, images, tapChannels, taps } = this.trajectory.meta;
    const predicted: Float32Array[][] = Array.from({ length: stages }, () => []);
    const metrics: TbtLayerMetrics[][] = Array.from({ length: Math.max(0, stages - 1) }, () => []);
    const chunk = 4096;
    tapChannels.forEach((d, l) => {
      for (let s = 0; s < stages; s++) predicted[s][l] = new Float32Array(images * d);
      for (let start = 0; start < images; start += chunk) {
        const idx = Array.from({ length: Math.min(chunk, images - start) }, (_, i) => start + i);
        tf.tidy(() => {
          const seq = Array.from({ length: stages }, (_, k) => this.z(l, k, idx));
          this.unroll(l, seq).forEach((p, s) => {
            const v = p.dataSync() as Float32Array;
            const out = predicted[s][l];
            for (let i = 0; i < v.length; i++) out[start * d + i] = v[i] * this.std[l][i % d] + this.mean[l][i % d];
          });
        });
      }
      for (let j = 0; j + 1 < stages; j++) {
        const n = heldOut.length;
        const standardise = (a: Float32Array) => {
          const r = gatherRows(a, d, heldOut);
          for (let i = 0; i < r.length; i++) r[i] = (r[i] - this.mean[l][i % d]) / this.std[l][i % d];
          return r;
        };
        const pred = standardise(predicted[j][l]);
        const actual = standardise(this.trajectory.stage(j + 1).behaviour[l]);
        const previous = standardise(this.trajectory.stage(j).behaviour[l]);
        metrics[j].push({ layer: taps[l], nmse: nmse(pred, actual, n, d), cosine: meanCosine(pred, actual, n, d), baselineNmse: nmse(previous, actual, n, d) });
      }
    });
    const weights = this.cells.flatMap((c, l) =>
      (['w', 'u', 'b', 'outW', 'outB'] as const).map((k) => ({ name: `${taps[l]}/${k}`, shape: [...c[k].shape], data: Float32Array.from(c[k].dataSync() as Float32Array) })),
    );
    return { metrics, predicted, weights };
  }

  dispose(): void {
    this.variables().forEach((v) => v.dispose());
  }
}
