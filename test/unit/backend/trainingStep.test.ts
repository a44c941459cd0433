import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type { ModelSpec } from '../../../src/protocol/experiment';
import { lossAndGrads } from '../../../src/trainer/backend/trainingStep';
import { buildModel } from '../../../src/trainer/models';
import { randomHost, relativeError, webgpuUnavailable, type HostTensor } from './compareBackends';
import { selectBackend } from '../../../src/trainer/backend/select';

const TOLERANCE = 1e-4;
const INPUT: [number, number, number] = [12, 12, 1];
const BATCH = 6;
const CLASSES = 5;

/** One training step's loss and every gradient, on `backend`, from the given initial weights. */
async function stepOn(backend: 'wasm' | 'cpu' | 'webgpu', spec: ModelSpec, weights: HostTensor[] | null, x: HostTensor, labels: number[]) {
  await selectBackend(backend);
  const built = buildModel(spec, { inputShape: INPUT, numClasses: CLASSES, seed: 3, experimentFile: 'test', field: 'student' });
  if (weights) built.model.setWeights(weights.map((w) => tf.tensor(w.values, w.shape)));
  else built.model.setWeights(built.model.weights.map((w, i) => offsetBatchNorm(w.name, w.read(), i)));
  const initial: HostTensor[] = await Promise.all(built.model.getWeights().map(async (w) => ({ shape: w.shape, values: (await w.data()) as Float32Array })));
  const xs = tf.tensor4d(x.values, x.shape as [number, number, number, number]);
  const oneHot = tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES), 'float32') as tf.Tensor2D;
  const { loss, grads } = lossAndGrads(built.model, xs, oneHot);
  // Asynchronous reads: the webgpu backend cannot read synchronously under Node.
  const out = {
    initial,
    loss: (await loss.data()) as Float32Array,
    grads: await Promise.all(grads.map(async (g) => new Float32Array(await g.data()))),
    names: built.model.trainableWeights.map((w) => w.name),
  };
  tf.dispose([xs, oneHot, loss, ...grads]);
  built.model.dispose();
  return out;
}

/**
 * At initialisation (beta 0, gamma 1) a batch norm followed by a scale-invariant path (ReLU, then
 * another convolution and batch norm) has a gamma gradient that is zero in exact arithmetic, so
 * both backends return rounding noise there. Random betas and gammas make every gradient a real
 * quantity to compare.
 */
function offsetBatchNorm(name: string, value: tf.Tensor, seed: number): tf.Tensor {
  const noise = randomHost(value.shape, 100 + seed);
  if (/beta/.test(name)) return tf.mul(tf.tensor(noise.values, noise.shape), 0.3);
  if (/gamma/.test(name)) return tf.add(tf.mul(tf.tensor(noise.values, noise.shape), 0.3), 1);
  return value;
}

const FAMILIES: ModelSpec[] = [
  { model: 'resnet', depth: 8, width: 4, epochs: 1 },
  { model: 'cnn', width: 4, epochs: 1 },
  { model: 'mobilenet', width: 4, depth: 1, epochs: 1 },
];

/**
 * The backends compared with cpu, from SKD_STEP_BACKENDS (default wasm). The GPU check
 * (bench/gpu/check.sh) runs this file with webgpu alone: in a fresh process, before wasm
 * registers anything.
 */
const BACKENDS = (process.env.SKD_STEP_BACKENDS ?? 'wasm').split(',') as ('wasm' | 'webgpu')[];

for (const backend of BACKENDS) {
  for (const spec of FAMILIES) {
    test(`a full training step of ${spec.model} on ${backend} matches cpu (loss and every gradient)`, async (t) => {
      if (backend === 'webgpu') {
        const reason = await webgpuUnavailable();
        if (reason) return t.skip(`webgpu unavailable: ${reason}`);
      }
      const x = randomHost([BATCH, ...INPUT], 11);
      const labels = Array.from({ length: BATCH }, (_, i) => i % CLASSES);
      const ours = await stepOn(backend, spec, null, x, labels);
      const cpu = await stepOn('cpu', spec, ours.initial, x, labels);
      assert.ok(Number.isFinite(ours.loss[0]));
      assert.ok(relativeError(ours.loss, cpu.loss) <= TOLERANCE, `loss ${ours.loss[0]} vs ${cpu.loss[0]}`);
      assert.equal(ours.grads.length, cpu.grads.length);
      for (let i = 0; i < cpu.grads.length; i++) {
        const err = relativeError(ours.grads[i], cpu.grads[i]);
        assert.ok(err <= TOLERANCE, `gradient of ${cpu.names[i]}: relative error ${err}`);
      }
    });
  }
}
