import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { at } from '../../../src/trainer/methods/at';
import { dkd, dkdWarmup } from '../../../src/trainer/methods/dkd';
import { fitnet, hintTap } from '../../../src/trainer/methods/fitnet';
import { kd } from '../../../src/trainer/methods/kd';
import { none } from '../../../src/trainer/methods/none';
import { rco } from '../../../src/trainer/methods/rco';
import type { DistillMethod, LossTerms, MethodFactory, MethodSetup } from '../../../src/trainer/methods/types';
import * as R from './reference';

/** Runs `losses` on the tiny batch and reads every term back as a number. */
function terms(factory: MethodFactory, s: MethodSetup = R.setup(), epoch = 0, epochs = 10): Record<string, number> {
  const method = factory(s);
  const b = R.batch(epoch, epochs);
  try {
    const out: Record<string, number> = {};
    tf.tidy(() => {
      for (const [k, v] of Object.entries(method.losses(b))) out[k] = R.value(v);
    });
    return out;
  } finally {
    R.disposeBatch(b);
    method.dispose();
  }
}

function closeTerms(got: Record<string, number>, expected: Record<string, number>): void {
  assert.deepEqual(Object.keys(got).sort(), Object.keys(expected).sort());
  for (const k of Object.keys(expected)) R.close(got[k], expected[k]);
}

const CE = R.ce(R.STUDENT, R.LABELS);

test('none: CE only, no teacher signal', () => {
  const m = none(R.setup());
  assert.deepEqual(m.needs, {});
  closeTerms(terms(none), { ce: CE });
});

test('kd: (1 - alpha) CE + alpha T^2 KL, default alpha 0.9, T from method.temperature (default 2)', () => {
  assert.deepEqual(kd(R.setup()).needs, { finalLogits: true });
  closeTerms(terms(kd), { ce: 0.1 * CE, kd: 0.9 * R.kdTerm(R.TEACHER, R.STUDENT, 4) });
  // A spec without a temperature gets the default, 2 (what withDefaults writes into experiment.json).
  const { temperature: _unset, ...noTemperature } = R.setup().spec;
  closeTerms(terms(kd, { ...R.setup(), spec: noTemperature as MethodSetup['spec'] }), {
    ce: 0.1 * CE,
    kd: 0.9 * R.kdTerm(R.TEACHER, R.STUDENT, 2),
  });
  closeTerms(terms(kd, R.setup({ alpha: 0.5, temperature: 2 })), {
    ce: 0.5 * CE,
    kd: 0.5 * R.kdTerm(R.TEACHER, R.STUDENT, 2),
  });
});

test('rco: KD terms against the best-of-stage logits of the current stage', () => {
  assert.deepEqual(rco(R.setup()).needs, { stageLogits: true });
  closeTerms(terms(rco), { ce: 0.1 * CE, kd: 0.9 * R.kdTerm(R.STAGE, R.STUDENT, 4) });
});

test('fitnet: CE + beta * MSE(relu(BN(1x1 conv(F_S))), F_T) at the middle tap, beta 100', () => {
  const m = fitnet(R.setup());
  assert.deepEqual(m.needs, { teacherFeatures: true });
  const vars = m.extraVariables();
  // One regressor: kernel, BatchNorm gamma and shift. Two taps: the hint is tap 0.
  assert.equal(vars.length, 3);
  const cin = R.STUDENT_CHANNELS[0];
  const cout = R.TEACHER_CHANNELS[0];
  assert.deepEqual(vars[0].shape, [1, 1, cin, cout]);
  const kernel = Array.from(vars[0].dataSync());
  const regressed = R.convReg(R.STUDENT_FEATURES[0], kernel, R.ones(cout), R.zeros(cout), cin, cout);
  const hint = R.mse(R.flat4(regressed), R.flat4(R.TEACHER_FEATURES[0]));
  const b = R.batch();
  const got: Record<string, number> = {};
  tf.tidy(() => {
    for (const [k, v] of Object.entries(m.losses(b))) got[k] = R.value(v);
  });
  R.disposeBatch(b);
  closeTerms(got, { ce: CE, hint: 100 * hint });
  m.dispose();
  assert.ok(vars.every((v) => v.isDisposed));
  closeTerms(terms(fitnet, R.setup({ beta: 2 })), { ce: CE, hint: 2 * hint });
});

test('fitnet: the regressor starts from the run seed', () => {
  const kernel = (seed: number) => {
    const m = fitnet(R.setup({}, seed));
    const k = Array.from(m.extraVariables()[0].dataSync());
    m.dispose();
    return k;
  };
  assert.deepEqual(kernel(3), kernel(3));
  assert.notDeepEqual(kernel(3), kernel(4));
});

test('at: CE + beta * sum over taps of mean squared difference of attention maps, beta 1000', () => {
  assert.deepEqual(at(R.setup()).needs, { teacherFeatures: true });
  const perTap = R.STUDENT_FEATURES.map((f, l) =>
    R.mse(R.attention(f).flat(), R.attention(R.TEACHER_FEATURES[l]).flat()),
  );
  closeTerms(terms(at), { ce: CE, at: 1000 * R.sum(perTap) });
  closeTerms(terms(at, R.setup({ beta: 10 })), { ce: CE, at: 10 * R.sum(perTap) });
});

test('dkd: CE + alpha TCKD + beta NCKD after the warm-up, defaults 1 and 8', () => {
  assert.deepEqual(dkd(R.setup()).needs, { finalLogits: true });
  const tc = R.tckd(R.TEACHER, R.STUDENT, R.LABELS, 4);
  const nc = R.nckd(R.TEACHER, R.STUDENT, R.LABELS, 4);
  // 10 epochs: default warm-up 1 epoch (1/12 of 10, at least 1), so epoch 5 has full weight.
  closeTerms(terms(dkd, R.setup(), 5, 10), { ce: CE, tckd: tc, nckd: 8 * nc });
  closeTerms(terms(dkd, R.setup({ dkd: { alpha: 2, beta: 3, warmup: 0 } }), 0, 10), { ce: CE, tckd: 2 * tc, nckd: 3 * nc });
});

test('dkd: the warm-up scales both DKD terms linearly, CE untouched', () => {
  const tc = R.tckd(R.TEACHER, R.STUDENT, R.LABELS, 4);
  const nc = R.nckd(R.TEACHER, R.STUDENT, R.LABELS, 4);
  const s = R.setup({ dkd: { warmup: 4 } });
  for (const [epoch, w] of [
    [0, 0.25],
    [1, 0.5],
    [2, 0.75],
    [3, 1],
    [9, 1],
  ]) {
    closeTerms(terms(dkd, s, epoch, 10), { ce: CE, tckd: w * tc, nckd: 8 * w * nc });
  }
  // Default: 1/12 of the epochs (mdistiller's 20 of 240), at least one.
  closeTerms(terms(dkd, R.setup(), 9, 240), { ce: CE, tckd: 0.5 * tc, nckd: 4 * nc });
  closeTerms(terms(dkd, R.setup(), 0, 10), { ce: CE, tckd: tc, nckd: 8 * nc });
  assert.equal(dkdWarmup(0, 1), 1);
  assert.equal(dkdWarmup(0, 0), 1);
});

const ALL: [string, MethodFactory][] = [
  ['none', none],
  ['kd', kd],
  ['rco', rco],
  ['fitnet', fitnet],
  ['at', at],
  ['dkd', dkd],
];

test('every method: named scalar terms, all finite, and its name', () => {
  for (const [name, factory] of ALL) {
    const m = factory(R.setup());
    assert.equal(m.name, name);
    m.dispose();
    const got = terms(factory);
    assert.ok(Object.keys(got).includes('ce'), name);
    for (const [k, v] of Object.entries(got)) assert.ok(Number.isFinite(v), `${name}.${k} = ${v}`);
  }
});

test('every method: no tensor leaks inside a tidy, inputs left alone', () => {
  for (const [name, factory] of ALL) {
    const m: DistillMethod = factory(R.setup());
    const b = R.batch(3, 10);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      m.losses(b);
    });
    assert.equal(tf.memory().numTensors, before, `${name} leaked`);
    // And outside a tidy, only the returned terms are new.
    const out: LossTerms = m.losses(b);
    assert.equal(tf.memory().numTensors, before + Object.keys(out).length, `${name} left intermediates`);
    tf.dispose(Object.values(out));
    assert.equal(b.studentLogits.isDisposed, false);
    assert.ok(b.studentFeatures.every((f) => !f.isDisposed));
    R.disposeBatch(b);
    m.dispose();
  }
});

test('every method: gradients reach the student outputs and the extra variables', () => {
  for (const [name, factory] of ALL) {
    const m = factory(R.setup());
    const b = R.batch(5, 10);
    const logits = tf.variable(b.studentLogits);
    const feats = b.studentFeatures.map((f) => tf.variable(f));
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.addN(Object.values(m.losses({ ...b, studentLogits: logits, studentFeatures: feats }))) as tf.Scalar,
        [logits, ...feats, ...m.extraVariables()],
      );
      assert.ok(Number.isFinite(R.value(value)), name);
      const norm = (id: string) => {
        const g = grads[id];
        return g ? R.sum(Array.from(g.dataSync()).map(Math.abs)) : 0;
      };
      for (const g of Object.values(grads)) {
        assert.ok(Array.from(g.dataSync()).every(Number.isFinite), `${name}: non-finite gradient`);
      }
      assert.ok(norm(logits.name) > 0, `${name}: no gradient to the logits`);
      // AT reads every tap; FitNet its one hint tap (the middle one: tap 0 of these two).
      const reads = (l: number) => name === 'at' || (name === 'fitnet' && l === hintTap(feats.length));
      feats.forEach((f, l) => assert.equal(norm(f.name) > 0, reads(l), `${name}: feature gradient at tap ${l}`));
      for (const v of m.extraVariables()) assert.ok(norm(v.name) > 0, `${name}: no gradient to ${v.name}`);
    });
    assert.equal(tf.memory().numTensors, before, `${name} leaked under the tape`);
    tf.dispose([logits, ...feats]);
    R.disposeBatch(b);
    m.dispose();
  }
});

test('a method without its teacher signal says which one is missing', () => {
  for (const [factory, signal] of [
    [kd, /final logits/],
    [rco, /best-of-stage logits/],
    [fitnet, /feature maps/],
    [at, /feature maps/],
    [dkd, /final logits/],
  ] as [MethodFactory, RegExp][]) {
    const m = factory(R.setup());
    const b = R.batch();
    assert.throws(() => m.losses({ ...b, teacher: {} }), signal);
    R.disposeBatch(b);
    m.dispose();
  }
});

test('invalid weights are refused with the field name', () => {
  assert.throws(() => kd(R.setup({ alpha: 1.5 })), /method\.alpha/);
  assert.throws(() => kd(R.setup({ temperature: 0 })), /method\.temperature/);
  assert.throws(() => at(R.setup({ beta: Number.NaN })), /method\.beta/);
  assert.throws(() => dkd(R.setup({ dkd: { beta: -1 } })), /method\.dkd\.beta/);
});
