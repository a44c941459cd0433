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

// The SIMD filter gradient's edges: a first layer of one channel (the default networks' stem),
// output channels past one tile of 8 (17), stride 2 with 'same' padding on an even size.
CONV_CASES.push({ name: 'stem 3x3 s1 same 8x28x28x1 to 6', x: [8, 28, 28, 1], f: [3, 3], out: 6, stride: 1, pad: 'same' });
CONV_CASES.push({ name: '3x3 s1 same 2x6x5x3 to 17', x: [2, 6, 5, 3], f: [3, 3], out: 17, stride: 1, pad: 'same' });
CONV_CASES.push({ name: '3x3 s2 same 2x8x8x4 to 8', x: [2, 8, 8, 4], f: [3, 3], out: 8, stride: 2, pad: 'same' });

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

interface DepthwiseCase {
  name: string;
  x: [number, number, number, number];
  f: [number, number];
  multiplier: number;
  stride: number | [number, number];
  pad: 'same' | 'valid' | number;
}

// The MobileNet student's three depthwise layers (batch 64, width 8), then odd shapes: channel
// counts that leave remainders after the kernels' blocks of 8 and 4, multiplier 2, non-square
// images, filters and strides, batch 1, numeric padding.
const DEPTHWISE_CASES: DepthwiseCase[] = [
  { name: 'mobilenet s1b1 64x28x28x8 s1 same', x: [64, 28, 28, 8], f: [3, 3], multiplier: 1, stride: 1, pad: 'same' },
  { name: 'mobilenet s2b1 64x28x28x8 s2 same', x: [64, 28, 28, 8], f: [3, 3], multiplier: 1, stride: 2, pad: 'same' },
  { name: 'mobilenet s3b1 64x14x14x16 s2 same', x: [64, 14, 14, 16], f: [3, 3], multiplier: 1, stride: 2, pad: 'same' },
  { name: 'batch 1, 13 channels, 10x7, s2 valid', x: [1, 10, 7, 13], f: [3, 3], multiplier: 1, stride: 2, pad: 'valid' },
  { name: 'batch 1, 12 channels, 7x10, s1 valid', x: [1, 7, 10, 12], f: [3, 3], multiplier: 1, stride: 1, pad: 'valid' },
  { name: '5x3 filter, strides 2x1, same, 11x9', x: [3, 11, 9, 5], f: [5, 3], multiplier: 1, stride: [2, 1], pad: 'same' },
  { name: '2x4 filter, strides 1x2, valid, 6x13', x: [2, 6, 13, 9], f: [2, 4], multiplier: 1, stride: [1, 2], pad: 'valid' },
  { name: 'stride 3, same, 10x11', x: [2, 10, 11, 4], f: [3, 3], multiplier: 1, stride: 3, pad: 'same' },
  { name: 'numeric padding 1, stride 2', x: [2, 9, 8, 6], f: [3, 3], multiplier: 1, stride: 2, pad: 1 },
  { name: 'filter as large as the input, valid', x: [2, 3, 3, 4], f: [3, 3], multiplier: 1, stride: 2, pad: 'valid' },
  { name: 'multiplier 2, batch 64, 14x14x8, s2 same', x: [64, 14, 14, 8], f: [3, 3], multiplier: 2, stride: 2, pad: 'same' },
  { name: 'multiplier 3, 5x3 filter, strides 2x1, valid', x: [2, 11, 9, 3], f: [5, 3], multiplier: 3, stride: [2, 1], pad: 'valid' },
];
for (const multiplier of [1, 2]) {
  for (const stride of [1, 2] as const) {
    for (const pad of ['same', 'valid'] as const) {
      DEPTHWISE_CASES.push({ name: `m${multiplier} s${stride} ${pad} 2x9x7x3`, x: [2, 9, 7, 3], f: [3, 3], multiplier, stride, pad });
    }
  }
}

for (const c of DEPTHWISE_CASES) {
  test(`depthwise conv gradients on wasm match cpu: ${c.name}`, async () => {
    const xh = randomHost(c.x, 4);
    const wh = randomHost([c.f[0], c.f[1], c.x[3], c.multiplier], 5);
    const conv = (x: tf.Tensor, w: tf.Tensor) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad);
    const shape = tf.tidy(() => conv(tf.zeros(xh.shape), tf.zeros(wh.shape)).shape);
    const rh = randomHost(shape, 6);
    const err = await wasmVsCpu([xh, wh, rh], (x, w, r) => {
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), r)));
      return g([x, w]);
    });
    assert.ok(err <= TOLERANCE, `relative error ${err}`);
  });
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
