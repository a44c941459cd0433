/**
 * Plain-array metrics of SKD's meta-networks: behaviour prediction (TBT) and calibrated
 * experience (TET). Row-major [n, d] arrays; no tensors, so they are exact and cheap to test.
 * Accuracies are fractions (0..1) everywhere, as the run-directory events carry them.
 */
import type { TbtEvent } from '../../protocol/runDir';

/**
 * The `tbt` event of TBT's j-th prediction (0-based): teacher stage j + 1 predicted from stages
 * 0..j. It names its target stage, so no view has to know how TBT indexes its predictions.
 */
export function tbtEvent(j: number, layers: TbtEvent['layers']): Omit<TbtEvent, 'time'> {
  return { type: 'tbt', stage: j, target: j + 1, layers };
}

/** Normalised MSE: sum of squared errors over the variance of the actual values around their per-dimension mean. */
export function nmse(pred: Float32Array, actual: Float32Array, n: number, d: number): number {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += actual[i * d + j] / n;
  let err = 0;
  let varSum = 0;
  for (let i = 0; i < n * d; i++) {
    const e = pred[i] - actual[i];
    const c = actual[i] - mean[i % d];
    err += e * e;
    varSum += c * c;
  }
  return varSum > 0 ? err / varSum : err > 0 ? Infinity : 0;
}

/** Mean over rows of the cosine similarity of predicted and actual rows. */
export function meanCosine(pred: Float32Array, actual: Float32Array, n: number, d: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let dot = 0;
    let pp = 0;
    let aa = 0;
    for (let j = 0; j < d; j++) {
      const p = pred[i * d + j];
      const a = actual[i * d + j];
      dot += p * a;
      pp += p * p;
      aa += a * a;
    }
    sum += pp > 0 && aa > 0 ? dot / Math.sqrt(pp * aa) : 0;
  }
  return n ? sum / n : 0;
}

/** Row-wise softmax of logits at a temperature. */
export function softmaxRows(logits: ArrayLike<number>, n: number, c: number, temperature = 1): Float32Array {
  const out = new Float32Array(n * c);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let j = 0; j < c; j++) max = Math.max(max, logits[i * c + j] / temperature);
    let z = 0;
    for (let j = 0; j < c; j++) z += out[i * c + j] = Math.exp(logits[i * c + j] / temperature - max);
    for (let j = 0; j < c; j++) out[i * c + j] /= z;
  }
  return out;
}

export interface CalibrationMetrics {
  accuracy: number;
  /** Expected calibration error over `bins` equal-width confidence bins. */
  ece: number;
  /** Mean entropy of the predicted distributions (nats). */
  entropy: number;
}

export function calibration(probs: Float32Array, labels: ArrayLike<number>, n: number, c: number, bins = 15): CalibrationMetrics {
  const binConf = new Float64Array(bins);
  const binAcc = new Float64Array(bins);
  const binN = new Float64Array(bins);
  let correct = 0;
  let entropy = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 0; j < c; j++) {
      const p = probs[i * c + j];
      if (p > probs[i * c + best]) best = j;
      if (p > 0) entropy -= p * Math.log(p);
    }
    const conf = probs[i * c + best];
    const hit = best === labels[i] ? 1 : 0;
    correct += hit;
    const b = Math.min(bins - 1, Math.floor(conf * bins));
    binConf[b] += conf;
    binAcc[b] += hit;
    binN[b]++;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (binN[b] > 0) ece += Math.abs(binAcc[b] - binConf[b]) / n;
  return { accuracy: n ? correct / n : 0, ece, entropy: n ? entropy / n : 0 };
}

/** Mean over rows of KL(p || q). */
export function meanKl(p: Float32Array, q: Float32Array, n: number, c: number): number {
  let kl = 0;
  for (let i = 0; i < n * c; i++) if (p[i] > 0) kl += p[i] * (Math.log(p[i]) - Math.log(Math.max(q[i], 1e-12)));
  return n ? kl / n : 0;
}

/** Rows `indices` of a row-major [*, width] array. */
export function gatherRows(a: Float32Array, width: number, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * width);
  for (let i = 0; i < indices.length; i++) out.set(a.subarray(indices[i] * width, indices[i] * width + width), i * width);
  return out;
}
