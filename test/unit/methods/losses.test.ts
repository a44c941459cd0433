import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  attentionMap,
  crossEntropy,
  decoupledKd,
  klDivToTargets,
  klDivWithTemperature,
  matchSpatial,
  normalizedL2,
  targetNonTargetLogProbs,
} from '../../../src/trainer/methods/losses';
import * as R from './reference';

const t2 = (m: R.Mat) => tf.tensor2d(m);

test('crossEntropy: ln 3 for uniform logits, and the hand value on the tiny batch', () => {
  tf.tidy(() => {
    R.close(R.value(crossEntropy(t2([[0, 0, 0]]), t2([[0, 1, 0]]))), Math.log(3));
    R.close(R.value(crossEntropy(t2(R.STUDENT), t2(R.ONE_HOT))), R.ce(R.STUDENT, R.LABELS));
  });
});

test('crossEntropy stays finite for huge logits (stable log-softmax)', () => {
  tf.tidy(() => {
    const v = R.value(crossEntropy(t2([[1000, -1000, 0]]), t2([[0, 1, 0]])));
    R.close(v, 2000, 1e-6);
  });
});

test('klDivWithTemperature: T^2 * mean KL, zero for equal logits', () => {
  tf.tidy(() => {
    R.close(R.value(klDivWithTemperature(t2(R.TEACHER), t2(R.STUDENT), 4)), R.kdTerm(R.TEACHER, R.STUDENT, 4));
    R.close(R.value(klDivWithTemperature(t2(R.TEACHER), t2(R.STUDENT), 1)), R.kdTerm(R.TEACHER, R.STUDENT, 1));
    R.close(R.value(klDivWithTemperature(t2(R.TEACHER), t2(R.TEACHER), 4)), 0, 1e-6);
  });
});

test('klDivToTargets: target probabilities directly, zeros allowed', () => {
  const q = [
    [0.7, 0.3, 0],
    [0.1, 0.1, 0.8],
  ];
  const expected = 16 * R.mean(q.map((p, b) => R.kl(p, R.softmax(R.STUDENT[b], 4))));
  tf.tidy(() => {
    R.close(R.value(klDivToTargets(t2(q), t2(R.STUDENT), 4)), expected);
    // The teacher's own softmax as targets gives KD's term.
    const p = R.TEACHER.map((z) => R.softmax(z, 4));
    R.close(R.value(klDivToTargets(t2(p), t2(R.STUDENT), 4)), R.kdTerm(R.TEACHER, R.STUDENT, 4));
  });
});

test('normalizedL2: mean over the batch of the squared distance of unit rows', () => {
  const a = [
    [3, 4],
    [1, 0],
  ];
  const b = [
    [0, 2],
    [0, 5],
  ];
  // rows: (0.6,0.8)-(0,1) -> 0.36+0.04 = 0.4; (1,0)-(0,1) -> 2; mean 1.2
  tf.tidy(() => R.close(R.value(normalizedL2(t2(a), t2(b))), 1.2));
});

test('attentionMap: mean over channels of f^2, L2-normalised per sample', () => {
  const f = R.featureMap(2, 2, 2, 3, 0.5);
  // By hand for one pixel: channels (1, 2, 2) -> (1 + 4 + 4) / 3 = 3.
  const single = [[[[1, 2, 2], [0, 0, 0]], [[0, 0, 0], [0, 0, 0]]]];
  tf.tidy(() => {
    const m = attentionMap(tf.tensor4d(f));
    assert.deepEqual(m.shape, [2, 4]);
    const got = m.arraySync();
    R.attention(f).forEach((row, b) => row.forEach((v, i) => R.close(got[b][i], v)));
    assert.deepEqual(
      Array.from(attentionMap(tf.tensor4d(single)).dataSync()).map((v) => Math.round(v * 1e6) / 1e6),
      [1, 0, 0, 0],
    );
  });
});

test('matchSpatial: same size passes through, another size is resized to the student', () => {
  tf.tidy(() => {
    const s = tf.zeros([2, 2, 2, 3]) as tf.Tensor4D;
    const same = tf.ones([2, 2, 2, 5]) as tf.Tensor4D;
    assert.equal(matchSpatial(same, s), same);
    const big = tf.ones([2, 4, 4, 5]) as tf.Tensor4D;
    assert.deepEqual(matchSpatial(big, s).shape, [2, 2, 2, 5]);
  });
});

test('targetNonTargetLogProbs: log [p_target, 1 - p_target] of softmax(z/T)', () => {
  tf.tidy(() => {
    const got = targetNonTargetLogProbs(t2(R.STUDENT), t2(R.ONE_HOT), 4).arraySync();
    R.STUDENT.forEach((z, b) => {
      const [pt, pn] = R.binary(z, R.LABELS[b], 4);
      R.close(got[b][0], Math.log(pt));
      R.close(got[b][1], Math.log(pn));
    });
  });
});

test('decoupledKd: TCKD and NCKD by hand, and KD = TCKD + (1 - p_t) NCKD per sample', () => {
  tf.tidy(() => {
    const { tckd, nckd } = decoupledKd(t2(R.TEACHER), t2(R.STUDENT), t2(R.ONE_HOT), 4);
    R.close(R.value(tckd), R.tckd(R.TEACHER, R.STUDENT, R.LABELS, 4));
    R.close(R.value(nckd), R.nckd(R.TEACHER, R.STUDENT, R.LABELS, 4));
    // The identity of the DKD paper (eq. 4), one sample at a time.
    for (let b = 0; b < 2; b++) {
      const oh = t2([R.ONE_HOT[b]]);
      const parts = decoupledKd(t2([R.TEACHER[b]]), t2([R.STUDENT[b]]), oh, 4);
      const ptTeacher = R.softmax(R.TEACHER[b], 4)[R.LABELS[b]];
      const kd = R.value(klDivWithTemperature(t2([R.TEACHER[b]]), t2([R.STUDENT[b]]), 4));
      R.close(R.value(parts.tckd) + (1 - ptTeacher) * R.value(parts.nckd), kd);
    }
  });
});

test('the loss functions neither leak nor dispose their inputs', () => {
  const s = t2(R.STUDENT);
  const t = t2(R.TEACHER);
  const y = t2(R.ONE_HOT);
  const f = tf.tensor4d(R.STUDENT_FEATURES[1]);
  const before = tf.memory().numTensors;
  const outs = [
    crossEntropy(s, y),
    klDivWithTemperature(t, s, 4),
    klDivToTargets(y, s, 2),
    normalizedL2(s, t),
    attentionMap(f),
    targetNonTargetLogProbs(s, y, 4),
    ...Object.values(decoupledKd(t, s, y, 4)),
  ];
  // Only the returned tensors are new.
  assert.equal(tf.memory().numTensors, before + outs.length);
  tf.dispose(outs);
  assert.equal(tf.memory().numTensors, before);
  for (const x of [s, t, y, f]) assert.equal(x.isDisposed, false);
  tf.dispose([s, t, y, f]);
});
