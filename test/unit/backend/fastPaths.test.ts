import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type { ModelSpec } from '../../../src/protocol/experiment';
import { registerFastGradients, restoreOriginalGradients } from '../../../src/trainer/backend/fastGradients';
import { selectBackend } from '../../../src/trainer/backend/select';
import { lossAndGrads } from '../../../src/trainer/backend/trainingStep';
import { registerWasmTrainingKernels } from '../../../src/trainer/backend/wasmKernels';
import { MIN_BROADCAST_ELEMENTS } from '../../../src/trainer/backend/wasmKernels/channelAffine';
import { restoreOriginalKernels } from '../../../src/trainer/backend/wasmKernels/originals';
import { buildModel } from '../../../src/trainer/models';
import { randomHost, relativeError, runOn, wasmVsCpu, type HostTensor } from './compareBackends';

const TOLERANCE = 1e-4;
const FAST_KERNELS = ['MaxPoolGrad', 'Sum', 'Mean', 'Identity', 'Cast', 'FusedBatchNorm', 'Multiply', 'Add', 'Sub'];

/** Runs `fn` on the cpu backend with tfjs-core's gradients or with SKD Lab's. */
async function onCpuWith(gradients: 'original' | 'fast', inputs: HostTensor[], fn: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<Float32Array[]> {
  registerFastGradients();
  if (gradients === 'original') restoreOriginalGradients();
  try {
    return await runOn('cpu', inputs, fn);
  } finally {
    registerFastGradients();
  }
}

async function originalAndFastGradients(inputs: HostTensor[], fn: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<[Float32Array[], Float32Array[]]> {
  return [await onCpuWith('original', inputs, fn), await onCpuWith('fast', inputs, fn)];
}

function worst(a: Float32Array[], b: Float32Array[]): number {
  assert.equal(a.length, b.length);
  return Math.max(...a.map((x, i) => relativeError(x, b[i])));
}

const BN_SHAPES: [number, number, number, number][] = [
  [1, 1, 3, 3],
  [1, 5, 3, 2],
  [3, 5, 7, 4],
  [2, 4, 4, 1],
];

for (const shape of BN_SHAPES) {
  const c = shape[3];
  test(`batch norm in training mode: fast gradients match tfjs-core's (${shape.join('x')})`, async () => {
    // Batch norm as tfjs-layers trains it: moments of x, then tf.batchNorm; a random upstream r.
    const [original, fast] = await originalAndFastGradients(
      [randomHost(shape, 1), randomHost([c], 2), randomHost([c], 3), randomHost(shape, 4)],
      (x, gamma, beta, r) => {
        const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
          const { mean, variance } = tf.moments(tf.add(a, 0.5), [0, 1, 2]);
          return tf.sum(tf.mul(tf.batchNorm(tf.add(a, 0.5), mean, variance, b, tf.add(g, 1.5), 1e-5), r));
        };
        return tf.grads(f)([x, gamma, beta]);
      },
    );
    const err = worst(fast, original);
    assert.ok(err <= TOLERANCE, `relative error ${err}`);
  });

  test(`batch norm with given statistics: every input's gradient matches (${shape.join('x')})`, async () => {
    // Mean and variance as independent inputs exercise dmean and dvariance on their own.
    const [original, fast] = await originalAndFastGradients(
      [randomHost(shape, 5), randomHost([c], 6), randomHost([c], 7), randomHost([c], 8), randomHost([c], 9), randomHost(shape, 10)],
      (x, mean, v, gamma, beta, r) => {
        const f = (a: tf.Tensor, m: tf.Tensor, s: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(tf.batchNorm(a, m, tf.add(tf.abs(s), 0.2), b, g, 1e-3), r));
        return tf.grads(f)([x, mean, v, gamma, beta]);
      },
    );
    const err = worst(fast, original);
    assert.ok(err <= TOLERANCE, `relative error ${err}`);
  });

  test(`batch norm with statistics shaped [1,1,1,C]: fast gradients equal tfjs-core's for [C] (${shape.join('x')})`, async () => {
    // tfjs-core's own gradient fails on statistics of rank 4 (it reshapes unsummed products);
    // SKD Lab's sums over the broadcast axes, so it must give what tfjs-core gives for rank 1.
    const inputs = [randomHost(shape, 5), randomHost([c], 6), randomHost([c], 7), randomHost([c], 8), randomHost([c], 9), randomHost(shape, 10)];
    const grads = (statShape: number[]) => (x: tf.Tensor, mean: tf.Tensor, v: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, r: tf.Tensor) => {
      const f = (a: tf.Tensor, m: tf.Tensor, s: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.batchNorm(a, tf.reshape(m, statShape), tf.reshape(tf.add(tf.abs(s), 0.2), statShape), tf.reshape(b, statShape), tf.reshape(g, statShape), 1e-3), r));
      return tf.grads(f)([x, mean, v, gamma, beta]);
    };
    const original = await onCpuWith('original', inputs, grads([c]));
    const fast = await onCpuWith('fast', inputs, grads([1, 1, 1, c]));
    const err = worst(fast, original);
    assert.ok(err <= TOLERANCE, `relative error ${err}`);
  });
}

test('sum and mean: fast gradients match tfjs-core\'s for every axis pattern', async () => {
  const axesCases: (number[] | undefined)[] = [[0, 1, 2], [1], [0, 2], [3], undefined, [1, 2, 3]];
  for (const axes of axesCases) {
    for (const keepDims of [false, true]) {
      const [original, fast] = await originalAndFastGradients([randomHost([2, 3, 5, 4], 11)], (x) => {
        const outShape = tf.sum(x, axes, keepDims).shape;
        const r = tf.tensor(randomHost(outShape, 12).values, outShape);
        return [
          ...tf.grads((a: tf.Tensor) => tf.sum(tf.mul(tf.sum(a, axes, keepDims), r)))([x]),
          ...tf.grads((a: tf.Tensor) => tf.sum(tf.mul(tf.mean(a, axes, keepDims), r)))([x]),
        ];
      });
      const err = worst(fast, original);
      assert.ok(err <= TOLERANCE, `axes ${String(axes)} keepDims ${keepDims}: relative error ${err}`);
    }
  }
});

test('sum and mean on wasm match cpu (a block of axes as one average pool, the rest as before)', async () => {
  const cases: [number[], number[] | undefined][] = [
    [[64, 28, 28, 16], [0, 1, 2]],
    [[256, 28, 28, 2], [0, 1, 2]],
    [[1, 1, 1, 3], [0, 1, 2]],
    [[3, 5, 7, 2], [0, 1, 2]],
    [[3, 5, 7, 2], [2, 0, 1]],
    [[3, 5, 7, 2], [0]],
    [[3, 5, 7, 2], [0, 1]],
    [[3, 5, 7, 2], undefined],
    [[3, 5, 7, 2], [1, 2]],
    [[64, 7, 7, 64], [1, 2]],
    [[3, 5, 7, 2], [1]],
    [[1, 5, 7, 2], [2]],
    [[3, 5, 7, 2], [0, 2]],
    [[3, 5, 7, 2], [2, 3]],
    [[3, 5, 7, 2], [3]],
    [[9, 13], [0]],
    [[7], [0]],
  ];
  for (const [shape, axes] of cases) {
    for (const keepDims of [false, true]) {
      const err = await wasmVsCpu([randomHost(shape, 13)], (x) => {
        const s = tf.sum(x, axes, keepDims);
        const m = tf.mean(x, axes, keepDims);
        assert.deepEqual(s.shape, m.shape);
        return [s, m, tf.tensor1d(s.shape.length ? s.shape : [0])];
      });
      assert.ok(err <= TOLERANCE, `${shape} axes ${String(axes)} keepDims ${keepDims}: relative error ${err}`);
    }
  }
  // int32 goes to the original kernel and stays exact.
  const ints = await wasmVsCpu([randomHost([4, 3, 2], 14)], (x) => [tf.cast(tf.sum(tf.cast(tf.mul(x, 100), 'int32'), [0, 1]), 'float32')]);
  assert.equal(ints, 0);
});

test('batch norm (forward) on wasm matches cpu: per-channel statistics, with and without scale and offset, offset means', async () => {
  const shapes: number[][] = [[64, 28, 28, 16], [1, 1, 1, 3], [3, 5, 7, 2], [5, 4], [7]];
  for (const shape of shapes) {
    const c = shape[shape.length - 1];
    for (const shift of [0, 10]) {
      const err = await wasmVsCpu([randomHost(shape, 20), randomHost([c], 21), randomHost([c], 22), randomHost([c], 23), randomHost([c], 24)], (x, m, v, g, b) => {
        // Inputs shifted by 10 standard deviations from zero, with their mean: the usual case.
        const xs = tf.add(x, shift);
        const mean = tf.add(m, shift);
        const variance = tf.add(tf.abs(v), 0.1);
        return [
          tf.batchNorm(xs, mean, variance, b, g, 1e-5),
          tf.batchNorm(xs, mean, variance, undefined, undefined, 1e-3),
          tf.batchNorm(xs, mean, variance, b, undefined, 1e-3),
        ];
      });
      assert.ok(err <= TOLERANCE, `${shape} shift ${shift}: relative error ${err}`);
    }
  }
  // Statistics shaped like x (no broadcast) go to the original kernel.
  const same = await wasmVsCpu([randomHost([2, 3, 4], 25), randomHost([2, 3, 4], 26), randomHost([2, 3, 4], 27)], (x, m, v) => [
    tf.batchNorm(x, m, tf.add(tf.abs(v), 0.1)),
  ]);
  assert.ok(same <= TOLERANCE, `same-shape statistics: relative error ${same}`);
});

test('multiply, add and sub with a per-channel vector on wasm match cpu, either operand order; other shapes as before', async () => {
  // Per-channel vectors of tensors of at least MIN_BROADCAST_ELEMENTS: the fast path.
  const cases: [number[], number[]][] = [
    [[64, 28, 28, 16], [16]],
    [[75, 41, 13, 8], [1, 1, 1, 8]],
    [[1, 1, 300001, 3], [3]],
    [[100003, 5], [1, 5]],
    [[1, 300007, 1], [1]],
    [[3, 5, 7, 4], [4]],
    // Not a per-channel vector: the original kernels.
    [[3, 5, 7, 4], [3, 5, 7, 4]],
    [[3, 5, 7, 4], [1, 5, 1, 4]],
    [[3, 5, 7, 4], []],
    [[4], [4]],
    [[2, 4], [1, 1, 4]],
  ];
  assert.ok(75 * 41 * 13 * 8 >= MIN_BROADCAST_ELEMENTS && 100003 * 5 >= MIN_BROADCAST_ELEMENTS);
  for (const [xs, vs] of cases) {
    const err = await wasmVsCpu([randomHost(xs, 30), randomHost(vs, 31)], (x, v) => [
      tf.mul(x, v),
      tf.mul(v, x),
      tf.add(x, v),
      tf.add(v, x),
      tf.sub(x, v),
      tf.sub(v, x),
    ]);
    assert.ok(err <= TOLERANCE, `${xs} with ${vs}: relative error ${err}`);
  }
  const ints = await wasmVsCpu([randomHost([3, 4], 32), randomHost([4], 33)], (x, v) => {
    const [a, b] = [tf.cast(tf.mul(x, 10), 'int32'), tf.cast(tf.mul(v, 10), 'int32')];
    return [tf.cast(tf.mul(a, b), 'float32'), tf.cast(tf.sub(a, b), 'float32'), tf.cast(tf.add(b, a), 'float32')];
  });
  assert.equal(ints, 0);
});

test('max pool gradient on wasm matches cpu: 2x2 and 3x3, same and valid, odd sizes, batch 1, ties, -Infinity and NaN', async () => {
  const cases: { x: [number, number, number, number]; f: number; s: number; pad: 'same' | 'valid' }[] = [
    { x: [2, 28, 28, 8], f: 2, s: 2, pad: 'same' },
    // The SIMD kernel's case (2x2, stride 2, exact tiling) with channel groups that overlap (6, 5) or not (4).
    { x: [2, 14, 14, 6], f: 2, s: 2, pad: 'same' },
    { x: [1, 4, 6, 5], f: 2, s: 2, pad: 'valid' },
    { x: [3, 6, 8, 4], f: 2, s: 2, pad: 'valid' },
    { x: [1, 7, 9, 3], f: 2, s: 2, pad: 'same' },
    { x: [3, 7, 9, 2], f: 2, s: 2, pad: 'valid' },
    { x: [2, 8, 7, 3], f: 3, s: 1, pad: 'same' },
    { x: [2, 9, 9, 1], f: 3, s: 2, pad: 'valid' },
    { x: [1, 5, 6, 4], f: 3, s: 2, pad: 'same' },
  ];
  for (const c of cases) {
    for (const kind of ['random', 'ties', 'infinite and NaN'] as const) {
      const shape = tf.tidy(() => tf.maxPool(tf.zeros(c.x) as tf.Tensor4D, c.f, c.s, c.pad).shape);
      const err = await wasmVsCpu([randomHost(c.x, 15), randomHost(shape, 16)], (x, r) => {
        // Rounded inputs put equal values in many windows: the first maximum takes the gradient.
        // -Infinity and NaN taps never take it (the cpu backend starts from -Infinity, compares with >).
        const special = () => tf.where(tf.less(x, -0.8), tf.fill(x.shape, NaN), tf.where(tf.less(x, -0.3), tf.fill(x.shape, -Infinity), x));
        const input = kind === 'ties' ? tf.round(tf.mul(x, 2)) : kind === 'random' ? x : special();
        return tf.grads((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, c.f, c.s, c.pad), r)))([input]);
      });
      assert.ok(err <= TOLERANCE, `${JSON.stringify(c)} ${kind}: relative error ${err}`);
    }
  }
});

test('identity and same-dtype cast on wasm share data safely; other casts convert', async () => {
  await selectBackend('wasm');
  const before = tf.memory().numTensors;
  const x = tf.tensor([1.5, -2.7, 3.2], [3]);
  const y = tf.clone(x);
  const z = tf.cast(x, 'float32');
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), Array.from(new Float32Array([1.5, -2.7, 3.2])));
  assert.deepEqual(Array.from(z.dataSync()), Array.from(new Float32Array([1.5, -2.7, 3.2])));
  const i = tf.cast(y, 'int32');
  assert.equal(i.dtype, 'int32');
  assert.deepEqual(Array.from(i.dataSync()), [1, -2, 3]);
  const b = tf.tidy(() => tf.cast(tf.tensor([0, 2, -1, 0.5]), 'bool'));
  assert.deepEqual(Array.from(b.dataSync()), [0, 1, 1, 1]);
  tf.dispose([y, z, i, b]);
  assert.equal(tf.memory().numTensors, before);
  // A variable assigned after a clone leaves the clone's values alone.
  const v = tf.variable(tf.tensor([1, 2]));
  const snapshot = tf.clone(v);
  v.assign(tf.tensor([5, 6]));
  assert.deepEqual(Array.from(snapshot.dataSync()), [1, 2]);
  tf.dispose([v, snapshot]);
});

/** A training step's loss and gradients on wasm, with or without SKD Lab's fast paths. */
async function wasmStep(spec: ModelSpec, fast: boolean, batch: number): Promise<Float32Array[]> {
  await selectBackend('wasm');
  if (!fast) {
    restoreOriginalKernels(FAST_KERNELS);
    restoreOriginalGradients();
  }
  try {
    const built = buildModel(spec, { inputShape: [11, 13, 1], numClasses: 5, seed: 4, experimentFile: 'test', field: 'student' });
    built.model.setWeights(
      built.model.weights.map((w, i) => {
        const v = w.read();
        const noise = randomHost(v.shape, 200 + i);
        if (/beta/.test(w.name)) return tf.mul(tf.tensor(noise.values, noise.shape), 0.3);
        if (/gamma/.test(w.name)) return tf.add(tf.mul(tf.tensor(noise.values, noise.shape), 0.3), 1);
        return v;
      }),
    );
    const xh = randomHost([batch, 11, 13, 1], 17);
    const x = tf.tensor4d(xh.values, [batch, 11, 13, 1]);
    const oneHot = tf.cast(tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 5), 'int32'), 5), 'float32') as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const { loss, grads } = lossAndGrads(built.model, x, oneHot);
    const out = [loss, ...grads].map((t) => new Float32Array(t.dataSync()));
    tf.dispose([loss, ...grads]);
    assert.equal(tf.memory().numTensors, before, 'a training step leaves no tensors behind');
    tf.dispose([x, oneHot]);
    built.model.dispose();
    return out;
  } finally {
    registerWasmTrainingKernels();
    registerFastGradients();
  }
}

const FAMILIES: ModelSpec[] = [
  { model: 'resnet', depth: 8, width: 4, epochs: 1 },
  { model: 'cnn', width: 4, epochs: 1 },
  { model: 'mobilenet', width: 4, epochs: 1 },
];
for (const spec of FAMILIES) {
  for (const batch of [1, 5]) {
    test(`a wasm training step with the fast paths matches one without: ${spec.model}, batch ${batch}`, async () => {
      const original = await wasmStep(spec, false, batch);
      const fast = await wasmStep(spec, true, batch);
      const err = worst(fast, original);
      assert.ok(err <= TOLERANCE, `relative error ${err}`);
    });
  }
}
