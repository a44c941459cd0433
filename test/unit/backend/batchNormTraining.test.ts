import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend } from '../../../src/trainer/backend/select';
import { batchNormTrainingAvailable } from '../../../src/trainer/backend/wasmKernels/batchNormTraining';
import { Builder } from '../../../src/trainer/models/layers';
import { randomHost, wasmVsCpu } from './compareBackends';

const TOLERANCE = 1e-4;

test('batch norm uses SKD Lab kernel in training on wasm (so the comparisons below exercise it)', async () => {
  await selectBackend('wasm');
  assert.ok(batchNormTrainingAvailable());
  await selectBackend('cpu');
  assert.equal(batchNormTrainingAvailable(), false);
});

// Channel counts whose lanes (lcm(C, 4)) leave a partial last row (6, 5, 3) or not (8); one
// tensor smaller than a row.
const SHAPES: number[][] = [
  [3, 5, 7, 6],
  [2, 3, 3, 5],
  [4, 4, 4, 8],
  [1, 1, 1, 3],
  [5, 9],
];

for (const shape of SHAPES) {
  test(`batch norm in training on wasm matches cpu: output, moving statistics, gradients (${shape.join('x')})`, async () => {
    const c = shape[shape.length - 1];
    const inputs = [randomHost(shape, 41), randomHost(shape, 42), randomHost([c], 43), randomHost([c], 44)];
    const err = await wasmVsCpu(inputs, (x0, r, g, b) => {
      // An offset mean and scale, so centring matters; random gamma and beta; dy = r.
      const x = tf.add(tf.mul(x0, 3), 2);
      const input = tfl.input({ shape: shape.slice(1) });
      const model = tfl.model({ inputs: input, outputs: new Builder(7, 'bn').bn(input, 'bn') });
      const [gamma, beta, movingMean, movingVariance] = model.getWeights();
      model.setWeights([tf.add(tf.mul(g, 0.3), 1), tf.mul(b, 0.3), movingMean, movingVariance]);
      const params = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const f = (xs: tf.Tensor) => tf.sum(tf.mul(model.apply(xs, { training: true }) as tf.Tensor, r));
      const y = model.apply(x, { training: true }) as tf.Tensor;
      const moving = model.getWeights().slice(2).map((w) => tf.clone(w));
      const dx = tf.grad(f)(x);
      const { grads } = tf.variableGrads(() => f(x) as tf.Scalar, params);
      const out = [y, ...moving, dx, ...params.map((p) => grads[p.name])];
      void gamma;
      void beta;
      return out;
    });
    assert.ok(err <= TOLERANCE, `relative error ${err}`);
  });
}
