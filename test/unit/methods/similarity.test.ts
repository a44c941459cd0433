/**
 * The similarity-preserving distance (Tung & Mori, ICCV 2019) of SKD's behaviour term, and its
 * action form (tbt.match "action"), against plain-JS computations of the formulas on a batch of four.
 */
import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../src/trainer/backend/select';
import { actionSimilarity, similarityPreserving } from '../../../src/trainer/methods/losses';

const S = [
  [1, 0.5, 2],
  [0, 1, 1],
  [2, 2, 0.5],
  [0.3, 0, 1.5],
];
const T = [
  [3, 1],
  [0.5, 2],
  [2, 0],
  [1, 1.5],
];

/** Standardise columns over the batch, Gram matrix, rows to unit length. */
function gram(x: number[][]): number[][] {
  const n = x.length;
  const d = x[0].length;
  const z = x.map((r) => [...r]);
  for (let j = 0; j < d; j++) {
    const m = x.reduce((a, r) => a + r[j], 0) / n;
    const v = x.reduce((a, r) => a + (r[j] - m) ** 2, 0) / n;
    for (let i = 0; i < n; i++) z[i][j] = (x[i][j] - m) / Math.sqrt(v + 1e-5);
  }
  const g = z.map((a) => z.map((b) => a.reduce((s, ai, j) => s + ai * b[j], 0)));
  return g.map((row) => {
    const norm = Math.sqrt(row.reduce((s, v) => s + v * v, 0));
    return row.map((v) => v / (norm + 1e-8));
  });
}

function reference(s: number[][], t: number[][]): number {
  const gs = gram(s);
  const gt = gram(t);
  let sum = 0;
  for (let i = 0; i < s.length; i++) for (let j = 0; j < s.length; j++) sum += (gs[i][j] - gt[i][j]) ** 2;
  return sum / (s.length * s.length);
}

before(async () => {
  await selectBackend('cpu');
});

describe('similarityPreserving', () => {
  it('matches the published formula on descriptors of different sizes', () => {
    const got = tf.tidy(() => similarityPreserving(tf.tensor2d(S), tf.tensor2d(T)).dataSync()[0]);
    const want = reference(S, T);
    assert.ok(want > 0.01, `a non-trivial case: ${want}`);
    assert.ok(Math.abs(got - want) < 1e-5, `${got} != ${want}`);
  });

  it('is 0 for the same descriptors, and for any rescaling or shift of a dimension', () => {
    const shifted = S.map((r) => [3 * r[0] + 1, r[1] - 2, 0.5 * r[2]]);
    const got = tf.tidy(() => similarityPreserving(tf.tensor2d(S), tf.tensor2d(shifted)).dataSync()[0]);
    assert.ok(Math.abs(got) < 1e-6, `${got}`);
  });
});

/** The student's descriptors at the start of its stage, and the teacher's previous behaviour. */
const S0 = [
  [0.2, 1, 1],
  [1, 0, 2],
  [0.5, 0.5, 0.5],
  [2, 1, 0],
];
const T0 = [
  [1, 1],
  [2, 0.5],
  [0, 1],
  [1.5, 2],
];

/** mean over the b^2 entries of (G(S) - G(S0) - (G(T) - G(T0)))^2. */
function actionReference(s: number[][], s0: number[][], t: number[][], t0: number[][]): number {
  const [gs, gs0, gt, gt0] = [gram(s), gram(s0), gram(t), gram(t0)];
  let sum = 0;
  for (let i = 0; i < s.length; i++) for (let j = 0; j < s.length; j++) sum += (gs[i][j] - gs0[i][j] - (gt[i][j] - gt0[i][j])) ** 2;
  return sum / (s.length * s.length);
}

describe('actionSimilarity', () => {
  it('matches (G(S) - G(S0) - (G(T) - G(T0)))^2 averaged over the batch pairs', () => {
    const got = tf.tidy(() => actionSimilarity(tf.tensor2d(S), tf.tensor2d(S0), tf.tensor2d(T), tf.tensor2d(T0)).dataSync()[0]);
    const want = actionReference(S, S0, T, T0);
    assert.ok(want > 0.01, `a non-trivial case: ${want}`);
    assert.ok(Math.abs(got - want) < 1e-5, `${got} != ${want}`);
  });

  it('is 0 when the student changed as the teacher did, and SP itself when student and teacher start alike', () => {
    // The teacher did not change and neither did the student: nothing to do.
    const still = tf.tidy(() => actionSimilarity(tf.tensor2d(S), tf.tensor2d(S), tf.tensor2d(T), tf.tensor2d(T)).dataSync()[0]);
    assert.ok(Math.abs(still) < 1e-6, `${still}`);
    // Student and teacher related the images alike at the start: the action target is the teacher's next relations.
    const fromSame = tf.tidy(() => actionSimilarity(tf.tensor2d(S), tf.tensor2d(T0), tf.tensor2d(T), tf.tensor2d(T0)).dataSync()[0]);
    const sp = tf.tidy(() => similarityPreserving(tf.tensor2d(S), tf.tensor2d(T)).dataSync()[0]);
    assert.ok(Math.abs(fromSame - sp) < 1e-6, `${fromSame} != ${sp}`);
  });

  it('gives the student a gradient', () => {
    const [s, s0, t, t0] = [S, S0, T, T0].map((m) => tf.tensor2d(m));
    const grad = tf.grad((a: tf.Tensor) => actionSimilarity(a as tf.Tensor2D, s0, t, t0))(s);
    assert.ok(Math.max(...Array.from(grad.dataSync()).map(Math.abs)) > 1e-4, 'the student gets a gradient');
    tf.dispose([s, s0, t, t0, grad]);
  });
});
