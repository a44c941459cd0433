/**
 * The similarity-preserving distance (Tung & Mori, ICCV 2019) of SKD's behaviour term, against
 * a plain-JS computation of the published formula on a batch of four.
 */
import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../src/trainer/backend/select';
import { similarityPreserving } from '../../../src/trainer/methods/losses';

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
