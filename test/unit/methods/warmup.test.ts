import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../src/trainer/backend/select';
import { defaultWarmup, labelFactor, warmedUp, warmupWeight } from '../../../src/trainer/methods/warmup';

before(async () => {
  await selectBackend('cpu');
});

describe('distillation warm-up', () => {
  it('defaults to 1/12 of the epochs, at least one (mdistiller: 20 of 240)', () => {
    assert.deepEqual([3, 12, 30, 240].map(defaultWarmup), [1, 1, 3, 20]);
  });

  it('rises linearly with the fractional epoch and stays at 1; warmup 0 is off', () => {
    assert.deepEqual([0, 0.25, 1, 1.5, 2, 7].map((p) => warmupWeight(p, 2)), [0, 0.125, 0.5, 0.75, 1, 1]);
    assert.equal(warmupWeight(0, 0), 1);
  });

  it('scales every term but the labels\' cross-entropy', () => {
    const out = tf.tidy(() => {
      const terms = warmedUp({ ce: tf.scalar(2), kd: tf.scalar(4), hint: tf.scalar(10) }, 0.5, 2);
      return Object.fromEntries(Object.entries(terms).map(([k, v]) => [k, v.dataSync()[0]]));
    });
    assert.deepEqual(out, { ce: 2, kd: 1, hint: 2.5 });
  });

  it('with warmupLabels hands the labels over from full weight to the method\'s mix (KD: 0.1 CE)', () => {
    // At w = 0 the label term is the student alone's CE; at w = 1/2, 0.1 + 0.9 / 2 = 0.55 of it.
    const out = tf.tidy(() => {
      const at = (p: number) => Object.fromEntries(Object.entries(warmedUp({ ce: tf.scalar(0.1 * 3), kd: tf.scalar(4) }, p, 2, 0.1, true)).map(([k, v]) => [k, v.dataSync()[0]]));
      return [at(0), at(1), at(2)];
    });
    assert.ok(Math.abs(out[0].ce - 3) < 1e-6 && out[0].kd === 0, JSON.stringify(out[0]));
    assert.ok(Math.abs(out[1].ce - 0.55 * 3) < 1e-6 && out[1].kd === 2, JSON.stringify(out[1]));
    assert.ok(Math.abs(out[2].ce - 0.3) < 1e-6 && out[2].kd === 4, JSON.stringify(out[2]));
  });

  it('leaves the labels as given without warmupLabels, for methods whose CE has weight 1, or none', () => {
    assert.equal(labelFactor(0, 0.1, false), 1);
    assert.equal(labelFactor(0, undefined, true), 1); // FitNet, AT: CE at weight 1 already
    assert.equal(labelFactor(0, 0, true), 1); // alpha = 1: no labels to hand over
    assert.equal(labelFactor(1, 0.1, true), 1);
    assert.ok(Math.abs(labelFactor(0, 0.1, true) - 10) < 1e-12);
  });
});
