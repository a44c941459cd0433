import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../src/trainer/backend/select';
import { defaultWarmup, warmedUp, warmupWeight } from '../../../src/trainer/methods/warmup';

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
});
