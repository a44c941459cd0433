import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { randomHost, wasmVsCpu } from './compareBackends';

const TOLERANCE = 1e-4;

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  f: [number, number];
  out: number;
  stride: 1 | 2;
  pad: 'same' | 'valid';
}

const CONV_CASES: ConvCase[] = [];
for (const stride of [1, 2] as const) {
  for (const pad of ['same', 'valid'] as const) {
    CONV_CASES.push({ name: `3x3 s${stride} ${pad} odd 9x7`, x: [3, 9, 7, 5], f: [3, 3], out: 4, stride, pad });
    CONV_CASES.push({ name: `1x1 s${stride} ${pad} 8x8`, x: [2, 8, 8, 3], f: [1, 1], out: 6, stride, pad });
    CONV_CASES.push({ name: `2x3 s${stride} ${pad} 10x11`, x: [2, 10, 11, 2], f: [2, 3], out: 3, stride, pad });
  }
}

// Gradients of sum(conv(x, w) * r) for a fixed random r: dy = r, so both backprop kernels run
// with a non-trivial upstream gradient.
for (const c of CONV_CASES) {
  test(`conv2d gradients on wasm match cpu: ${c.name}`, async () => {
    const xh = randomHost(c.x, 1);
    const wh = randomHost([c.f[0], c.f[1], c.x[3], c.out], 2);
    const probe = tf.tidy(() => {
      // The output shape, to draw r; computed on whichever backend is active.
      return tf.conv2d(tf.zeros(c.x) as unknown as tf.Tensor4D, tf.zeros(wh.shape) as unknown as tf.Tensor4D, c.stride, c.pad).shape;
    });
    const rh = randomHost(probe, 3);
    const err = await wasmVsCpu([xh, wh, rh], (x, w, r) => {
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), r)),
      );
      return [tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad), ...g([x, w])];
    });
    assert.ok(err <= TOLERANCE, `relative error ${err}`);
  });
}

for (const multiplier of [1, 2]) {
  for (const stride of [1, 2] as const) {
    for (const pad of ['same', 'valid'] as const) {
      test(`depthwise conv gradients on wasm match cpu: m${multiplier} s${stride} ${pad}`, async () => {
        const xh = randomHost([2, 9, 7, 3], 4);
        const wh = randomHost([3, 3, 3, multiplier], 5);
        const shape = tf.tidy(
          () => tf.depthwiseConv2d(tf.zeros(xh.shape) as unknown as tf.Tensor4D, tf.zeros(wh.shape) as unknown as tf.Tensor4D, stride, pad).shape,
        );
        const rh = randomHost(shape, 6);
        const err = await wasmVsCpu([xh, wh, rh], (x, w, r) => {
          const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), r)),
          );
          return g([x, w]);
        });
        assert.ok(err <= TOLERANCE, `relative error ${err}`);
      });
    }
  }
}

test('tile on wasm matches cpu, including the batch-norm pattern and int32', async () => {
  const cases: [number[], number[]][] = [
    [[1, 1, 1, 5], [3, 4, 6, 1]],
    [[2, 3], [2, 3]],
    [[3, 1, 2], [1, 4, 1]],
    [[4], [3]],
    [[2, 2], [1, 1]],
  ];
  for (const [shape, reps] of cases) {
    const err = await wasmVsCpu([randomHost(shape, 7)], (x) => [tf.tile(x, reps)]);
    assert.ok(err <= TOLERANCE, `tile ${shape} x ${reps}: relative error ${err}`);
  }
  const ints = await wasmVsCpu([randomHost([2, 3], 8)], (x) => [tf.cast(tf.tile(tf.cast(tf.mul(x, 10), 'int32'), [2, 2]), 'float32')]);
  assert.equal(ints, 0);
});
