/**
 * The baselines against their published forms (mdistiller / RepDistiller), on small fixed
 * tensors, with the expected values worked out by hand or in plain loops written straight from
 * the formulas, independently of tf.js and of reference.ts.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { at } from '../../../src/trainer/methods/at';
import { defaultWarmup, dkd } from '../../../src/trainer/methods/dkd';
import { BN_EPS, fitnet, hintTap } from '../../../src/trainer/methods/fitnet';
import type { BatchContext, DistillMethod, MethodSetup } from '../../../src/trainer/methods/types';
import { close } from './reference';

type Map4 = number[][][][];

function setup(studentTaps: number[], teacherTaps: number[], spec: Partial<MethodSetup['spec']> = {}, numClasses = 2, seed = 11): MethodSetup {
  return {
    spec: { name: 'test', stages: 4, temperature: 4, ...spec },
    numClasses,
    studentTapChannels: studentTaps,
    teacherTapChannels: teacherTaps,
    behaviourSizes: teacherTaps,
    seed,
    tf,
  };
}

function batch(logits: number[][], labels: number[], student: Map4[], teacher: { logits?: number[][]; features?: Map4[] }, epoch = 0, epochs = 10): BatchContext {
  const classes = logits[0].length;
  return {
    labels: tf.tensor1d(labels, 'int32'),
    oneHot: tf.tensor2d(labels.map((l) => Array.from({ length: classes }, (_, c) => (c === l ? 1 : 0)))),
    studentLogits: tf.tensor2d(logits),
    studentFeatures: student.map((f) => tf.tensor4d(f)),
    teacher: {
      finalLogits: teacher.logits && tf.tensor2d(teacher.logits),
      features: teacher.features?.map((f) => tf.tensor4d(f)),
    },
    epoch,
    epochs,
    stage: 0,
    stages: 4,
    teacherStage: 0,
    teacherStages: 1,
  };
}

/** Every term of `m.losses(b)` as a number; frees the batch. */
function run(m: DistillMethod, b: BatchContext): Record<string, number> {
  const out: Record<string, number> = {};
  tf.tidy(() => {
    for (const [k, v] of Object.entries(m.losses(b))) out[k] = v.dataSync()[0];
  });
  tf.dispose([b.labels, b.oneHot, b.studentLogits, ...b.studentFeatures, ...(b.teacher.features ?? [])]);
  if (b.teacher.finalLogits) b.teacher.finalLogits.dispose();
  return out;
}

/** Cross-entropy, by hand: mean over the batch of log(sum exp z) - z_y. */
function ce(logits: number[][], labels: number[]): number {
  let total = 0;
  for (let n = 0; n < logits.length; n++) {
    let s = 0;
    for (const z of logits[n]) s += Math.exp(z);
    total += Math.log(s) - logits[n][labels[n]];
  }
  return total / logits.length;
}

/** A constant NHWC map of the given shape. */
const fill = (n: number, h: number, w: number, c: number, v: number): Map4 =>
  Array.from({ length: n }, () => Array.from({ length: h }, () => Array.from({ length: w }, () => new Array<number>(c).fill(v))));

// ---------------------------------------------------------------------------------------------
// FitNet: CE + beta * MSE(relu(BN(conv1x1(F_S))), F_T) at the middle tap, beta 100.

test('fitnet by hand: a 1x2 map, the middle of three taps, beta 100', () => {
  // Middle tap: student x = [1, 3] (1 channel), kernel 2 -> y = [2, 6]; BN over the two
  // positions: mean 4, variance 4 -> [-1, 1] (times 2/sqrt(4 + eps)); relu -> [0, 1];
  // teacher [0, 0] -> MSE = (0 + 1) / 2 = 0.5 -> hint = 100 * 0.5 = 50.
  // Taps 0 and 2 hold maps that would change the value if they were used.
  const m = fitnet(setup([1, 1, 1], [1, 1, 1]));
  const [kernel, gamma, shift] = m.extraVariables();
  kernel.assign(tf.tensor4d([2], [1, 1, 1, 1]));
  const student = [fill(1, 1, 2, 1, 5), [[[[1], [3]]]], fill(1, 1, 2, 1, -4)];
  const teacher = [fill(1, 1, 2, 1, 9), fill(1, 1, 2, 1, 0), fill(1, 1, 2, 1, 7)];
  const logits = [[0.5, -0.5]];
  const got = run(m, batch(logits, [0], student, { features: teacher }));
  const s = 2 / Math.sqrt(4 + BN_EPS);
  close(got.hint, 100 * (s * s) / 2);
  close(got.hint, 50, 1e-5);
  close(got.ce, Math.log(1 + Math.exp(-1)));
  assert.deepEqual(Array.from(gamma.dataSync()), [1]);
  assert.deepEqual(Array.from(shift.dataSync()), [0]);
  m.dispose();
});

test('fitnet in loops: 2 images, 2x2 maps, 2 -> 3 channels, learned BN scale and shift, method.beta', () => {
  const cin = 2;
  const cout = 3;
  // [n][h][w][c], fixed values of both signs.
  const x: Map4 = [
    [
      [[1, -2], [0.5, 3]],
      [[-1, 0], [2, 1]],
    ],
    [
      [[0, 1], [-3, 0.5]],
      [[1.5, -1], [0.25, 2]],
    ],
  ];
  const t: Map4 = [
    [
      [[0.2, 1, 0], [0, 0.5, 1.5]],
      [[1, 0, 0.3], [0.7, 2, 0]],
    ],
    [
      [[0, 0, 1], [1.2, 0.1, 0]],
      [[0.4, 0.9, 0.6], [0, 1.1, 0.2]],
    ],
  ];
  const k = [
    [0.5, -1, 0.25],
    [1, 0.5, -0.75],
  ]; // [cin][cout]
  const g = [1.5, 0.5, 1];
  const sh = [0.1, -0.2, 0.3];

  // By hand: y = conv1x1(x) (no bias), per output channel batch mean / biased variance over
  // (n, h, w), z = relu((y - mean) / sqrt(var + 1e-5) * g + sh), MSE over every element.
  const y: Map4 = x.map((img) => img.map((row) => row.map((px) => [0, 1, 2].map((o) => px[0] * k[0][o] + px[1] * k[1][o]))));
  const positions = 2 * 2 * 2;
  let sqErr = 0;
  for (let o = 0; o < cout; o++) {
    let mu = 0;
    for (let n = 0; n < 2; n++) for (let h = 0; h < 2; h++) for (let w = 0; w < 2; w++) mu += y[n][h][w][o];
    mu /= positions;
    let v = 0;
    for (let n = 0; n < 2; n++) for (let h = 0; h < 2; h++) for (let w = 0; w < 2; w++) v += (y[n][h][w][o] - mu) ** 2;
    v /= positions;
    for (let n = 0; n < 2; n++) {
      for (let h = 0; h < 2; h++) {
        for (let w = 0; w < 2; w++) {
          const z = Math.max(0, ((y[n][h][w][o] - mu) / Math.sqrt(v + 1e-5)) * g[o] + sh[o]);
          sqErr += (z - t[n][h][w][o]) ** 2;
        }
      }
    }
  }
  const mse = sqErr / (positions * cout);

  for (const [spec, weight] of [
    [{}, 100],
    [{ beta: 2 }, 2],
  ] as [Partial<MethodSetup['spec']>, number][]) {
    // Three taps, the hint is tap 1; the others carry other channel counts on purpose.
    const m = fitnet(setup([4, cin, 5], [6, cout, 7], spec));
    const [kernel, gamma, shift] = m.extraVariables();
    assert.deepEqual(kernel.shape, [1, 1, cin, cout]);
    kernel.assign(tf.tensor4d(k.flat(), [1, 1, cin, cout]));
    gamma.assign(tf.tensor1d(g));
    shift.assign(tf.tensor1d(sh));
    const logits = [
      [1, 0],
      [0, 2],
    ];
    const got = run(m, batch(logits, [0, 1], [fill(2, 2, 2, 4, 1), x, fill(2, 2, 2, 5, 1)], { features: [fill(2, 2, 2, 6, 0), t, fill(2, 2, 2, 7, 0)] }));
    close(got.hint, weight * mse);
    close(got.ce, ce(logits, [0, 1]));
    m.dispose();
  }
  assert.ok(mse > 0.1, 'the example is not degenerate');
});

test('fitnet: the hint is the middle tap, the regressor starts as torch does, from the seed', () => {
  assert.deepEqual([1, 2, 3, 4, 5].map(hintTap), [0, 0, 1, 1, 2]);
  const init = (seed: number) => {
    const m = fitnet(setup([8, 16, 32], [16, 32, 64], {}, 2, seed));
    const [kernel, gamma, shift] = m.extraVariables();
    const out = { shape: kernel.shape, k: Array.from(kernel.dataSync()), g: Array.from(gamma.dataSync()), s: Array.from(shift.dataSync()) };
    m.dispose();
    return out;
  };
  const a = init(3);
  assert.deepEqual(a.shape, [1, 1, 16, 32]);
  // torch's Conv2d default: uniform in +-1/sqrt(fan_in); BatchNorm: gamma 1, shift 0.
  assert.ok(a.k.every((v) => Math.abs(v) <= 1 / Math.sqrt(16)));
  assert.ok(Math.max(...a.k) > 0.2 && Math.min(...a.k) < -0.2);
  assert.ok(a.g.every((v) => v === 1) && a.s.every((v) => v === 0));
  assert.deepEqual(init(3).k, a.k);
  assert.notDeepEqual(init(4).k, a.k);
});

// ---------------------------------------------------------------------------------------------
// AT: CE + beta * sum over taps of mean_{batch, positions} (Q_S - Q_T)^2, beta 1000.

test('at by hand: 1000 times the summed mean squared difference of normalised attention maps', () => {
  // Tap 0: one 1x2 map, one channel. Student f = [1, 0] -> f^2 = [1, 0] -> Q = [1, 0];
  // teacher f = [0, 2] -> f^2 = [0, 4] -> Q = [0, 1]; mean of (1, 1) = 1.
  // Tap 1: two channels, student (1, 1) and (1, 1) -> a = [1, 1] -> Q = [1, 1]/sqrt 2;
  // teacher (3, 0) and (0, 3) -> channel means [4.5, 4.5] -> the same Q; difference 0.
  // at = 1000 * (1 + 0) = 1000.
  const m = at(setup([1, 2], [1, 2]));
  const student = [[[[[1], [0]]]], [[[[1, 1], [1, 1]]]]];
  const teacher = [[[[[0], [2]]]], [[[[3, 0], [0, 3]]]]];
  const got = run(m, batch([[0, 0]], [1], student, { features: teacher }));
  close(got.at, 1000);
  close(got.ce, Math.log(2));
  m.dispose();
});

test('at in loops: 2 images, 2 taps of different sizes and channels, method.beta', () => {
  const fs: Map4[] = [
    [
      [[[1, -2], [0.5, 3]], [[-1, 0], [2, 1]]],
      [[[0, 1], [-3, 0.5]], [[1.5, -1], [0.25, 2]]],
    ],
    [[[[2, 0, 1]]], [[[0.5, -1, 1]]]],
  ];
  const ft: Map4[] = [
    [
      [[[0.2, 1, 0], [0, 0.5, 1.5]], [[1, 0, 0.3], [0.7, 2, 0]]],
      [[[0, 0, 1], [1.2, 0.1, 0]], [[0.4, 0.9, 0.6], [0, 1.1, 0.2]]],
    ],
    [[[[1, 1]]], [[[0, 3]]]],
  ];
  // Q = normalise_per_image(mean_c f^2 over positions (h, w) row-major), then per tap the mean
  // over images and positions of (Q_S - Q_T)^2, summed over taps.
  const attention = (f: Map4): number[][] =>
    f.map((img) => {
      const a: number[] = [];
      for (const row of img) {
        for (const px of row) {
          let s = 0;
          for (const c of px) s += c * c;
          a.push(s / px.length);
        }
      }
      let norm = 0;
      for (const v of a) norm += v * v;
      return a.map((v) => v / Math.sqrt(norm));
    });
  let sum = 0;
  for (let l = 0; l < 2; l++) {
    const qs = attention(fs[l]);
    const qt = attention(ft[l]);
    let s = 0;
    let count = 0;
    for (let n = 0; n < qs.length; n++) {
      for (let p = 0; p < qs[n].length; p++) {
        s += (qs[n][p] - qt[n][p]) ** 2;
        count++;
      }
    }
    sum += s / count;
  }
  assert.ok(sum > 1e-3, 'the example is not degenerate');
  for (const [spec, weight] of [
    [{}, 1000],
    [{ beta: 3 }, 3],
  ] as [Partial<MethodSetup['spec']>, number][]) {
    const m = at(setup([2, 3], [3, 2], spec));
    const got = run(m, batch([[0, 1], [1, 0]], [0, 0], fs, { features: ft }));
    close(got.at, weight * sum);
    m.dispose();
  }
});

// ---------------------------------------------------------------------------------------------
// DKD: CE + w * (alpha * TCKD + beta * NCKD), alpha 1, beta 8, T 4, warm-up over epochs / 12.

test('dkd in loops: 10 classes, defaults alpha 1, beta 8, T 4, and the warm-up', () => {
  const zs = [
    [1.2, -0.3, 0.8, 2.5, -1.0, 0.0, 0.4, -2.2, 1.9, 0.3],
    [-0.5, 0.9, 0.1, -1.4, 2.2, 0.6, -0.8, 1.1, 0.0, -0.2],
  ];
  const zt = [
    [3.0, -1.0, 0.5, 1.0, -2.0, 0.2, 0.1, -3.0, 2.0, 0.0],
    [0.0, 1.5, -0.5, -2.0, 4.0, 0.3, -1.0, 2.5, 0.4, -0.6],
  ];
  const labels = [0, 4];
  const T = 4;
  // Per image: p = softmax(z / T); TCKD = KL([p_y, 1 - p_y]_T || [p_y, 1 - p_y]_S);
  // NCKD = KL of the softmax over the non-target classes only (target excluded). Both times
  // T^2, averaged over the batch (mdistiller's kl_div(..., size_average=False) / batch).
  const softmax = (z: number[], skip = -1): number[] => {
    let m = -Infinity;
    for (let i = 0; i < z.length; i++) if (i !== skip) m = Math.max(m, z[i] / T);
    let s = 0;
    const e = z.map((v, i) => (i === skip ? 0 : Math.exp(v / T - m)));
    for (const v of e) s += v;
    return e.map((v) => v / s);
  };
  let tckd = 0;
  let nckd = 0;
  for (let n = 0; n < 2; n++) {
    const y = labels[n];
    const pt = softmax(zt[n]);
    const ps = softmax(zs[n]);
    const bt = [pt[y], 1 - pt[y]];
    const bs = [ps[y], 1 - ps[y]];
    for (let i = 0; i < 2; i++) tckd += bt[i] * Math.log(bt[i] / bs[i]);
    const qt = softmax(zt[n], y);
    const qs = softmax(zs[n], y);
    for (let i = 0; i < 10; i++) if (i !== y) nckd += qt[i] * Math.log(qt[i] / qs[i]);
  }
  tckd = (T * T * tckd) / 2;
  nckd = (T * T * nckd) / 2;
  assert.ok(tckd > 1e-3 && nckd > 1e-3, 'the example is not degenerate');

  const terms = (spec: Partial<MethodSetup['spec']>, epoch: number, epochs: number) => {
    const m = dkd(setup([1], [1], spec, 10));
    const got = run(m, batch(zs, labels, [], { logits: zt }, epoch, epochs));
    m.dispose();
    return got;
  };
  // mdistiller's schedule: 240 epochs, warm-up 20, weight min(epoch / 20, 1) with 1-based epochs.
  assert.equal(defaultWarmup(240), 20);
  assert.equal(defaultWarmup(10), 1);
  assert.equal(defaultWarmup(3), 1);
  for (const [epoch, w] of [
    [0, 1 / 20],
    [9, 10 / 20],
    [19, 1],
    [200, 1],
  ]) {
    const got = terms({}, epoch, 240);
    close(got.tckd, w * tckd);
    close(got.nckd, w * 8 * nckd);
    close(got.ce, ce(zs, labels));
  }
  // 10 epochs: warm-up of one epoch, full weight from the first.
  let got = terms({}, 0, 10);
  close(got.tckd, tckd);
  close(got.nckd, 8 * nckd);
  // method.dkd overrides alpha, beta and the warm-up.
  got = terms({ dkd: { alpha: 0.5, beta: 2, warmup: 4 } }, 1, 10);
  close(got.tckd, 0.5 * 0.5 * tckd);
  close(got.nckd, 0.5 * 2 * nckd);
  // DKD's temperature is its own: KD's method.temperature (2 by default) does not change it.
  got = terms({ temperature: 2 }, 0, 10);
  close(got.tckd, tckd);
  close(got.nckd, 8 * nckd);
  // method.dkd.temperature does: at T = 1 the terms are the plain KLs of the unscaled softmaxes.
  const atOne = terms({ dkd: { temperature: 1 } }, 0, 10);
  assert.ok(Math.abs(atOne.tckd - tckd) > 1e-3, 'dkd.temperature changes TCKD');
});
