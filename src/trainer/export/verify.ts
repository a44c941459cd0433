import type { Quantize } from './quantize';

/**
 * How far an export may be from the trained student on the test images before the export
 * fails. Float exports differ only by summation order and folded batch norms, so they get an
 * absolute bound on the logits. Quantized ones get a bound relative to the largest logit (the
 * weight rounding error scales with the logits) and a bound on the accuracy they lose; with few
 * test images one image's worth of accuracy is always allowed, since one flipped near-tie
 * would otherwise fail an export that is fine.
 */
export interface Tolerance {
  /** Largest |logit difference| allowed: absolute + relative * max(1, largest |logit|). */
  absolute: number;
  relative: number;
  /** Accuracy points (percent) the export may lose. */
  accuracyDropPoints: number;
}

export const TOLERANCES: Record<Quantize, Tolerance> = {
  none: { absolute: 1e-4, relative: 0, accuracyDropPoints: 0 },
  float16: { absolute: 0, relative: 1e-2, accuracyDropPoints: 0.5 },
  uint8: { absolute: 0, relative: 0.1, accuracyDropPoints: 2 },
};

export function describeTolerance(t: Tolerance): string {
  const logits = t.relative > 0 ? `${t.relative} x max(1, largest |logit|)` : `${t.absolute}`;
  return `largest |logit difference| <= ${logits}; accuracy drop <= ${t.accuracyDropPoints} points (at least one test image allowed)`;
}

export interface Comparison {
  images: number;
  maxAbsLogitDiff: number;
  /** The bound maxAbsLogitDiff was held to. */
  logitBound: number;
  referenceAccuracy: number;
  accuracy: number;
  /** Why the export is not good enough; undefined when it is. */
  failure?: string;
}

export function compareLogits(reference: Float32Array, exported: Float32Array, labels: Int32Array, n: number, tol: Tolerance): Comparison {
  if (exported.length !== reference.length) {
    return { images: n, maxAbsLogitDiff: Infinity, logitBound: 0, referenceAccuracy: 0, accuracy: 0, failure: `the export gave ${exported.length} logits for ${n} images, the student ${reference.length}` };
  }
  const classes = reference.length / n;
  let maxDiff = 0;
  let maxLogit = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = Math.abs(reference[i] - exported[i]);
    // NaN must fail, and NaN > x is false: test the negation.
    if (!(d <= maxDiff)) maxDiff = d;
    maxLogit = Math.max(maxLogit, Math.abs(reference[i]));
  }
  const logitBound = tol.absolute + tol.relative * Math.max(1, maxLogit);
  const referenceAccuracy = accuracy(reference, labels, n, classes);
  const acc = accuracy(exported, labels, n, classes);
  const dropPoints = (referenceAccuracy - acc) * 100;
  const allowedDrop = Math.max(tol.accuracyDropPoints, 100 / n + 1e-9);
  let failure: string | undefined;
  if (!(maxDiff <= logitBound)) {
    failure = `largest logit difference ${fmt(maxDiff)} exceeds the tolerance ${fmt(logitBound)} on ${n} test images`;
  } else if (dropPoints > allowedDrop + 1e-9) {
    failure = `accuracy drops ${dropPoints.toFixed(2)} points (from ${pct(referenceAccuracy)} to ${pct(acc)}), more than the ${allowedDrop.toFixed(2)} allowed`;
  }
  return { images: n, maxAbsLogitDiff: maxDiff, logitBound, referenceAccuracy, accuracy: acc, failure };
}

export function accuracy(logits: Float32Array, labels: Int32Array, n: number, classes: number): number {
  if (n === 0) return 0;
  let right = 0;
  for (let i = 0; i < n; i++) if (argmax(logits, i * classes, classes) === labels[i]) right++;
  return right / n;
}

export function argmax(a: ArrayLike<number>, from: number, count: number): number {
  let best = 0;
  for (let k = 1; k < count; k++) if (a[from + k] > a[from + best]) best = k;
  return best;
}

const fmt = (v: number): string => v.toExponential(2);
const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;
