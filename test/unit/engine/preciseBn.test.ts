/**
 * Precise batch norm (src/trainer/engine/preciseBn.ts): the moving statistics become the plain
 * average of the batches' statistics, on the layers API's own batch-norm branch (cpu) and on
 * SKD Lab's wasm kernel, and nothing else of the model changes.
 */
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { selectBackend } from '../../../src/trainer/backend/select';
import type { LoadedDataset } from '../../../src/trainer/data/types';
import { imageBatch } from '../../../src/trainer/engine/evaluate';
import { preciseBnImages, recalibrateBatchNorm } from '../../../src/trainer/engine/preciseBn';
import { buildModel } from '../../../src/trainer/models';
import { Rng } from '../../../src/trainer/util/rng';
import { randomImageDataset } from '../../helpers/randomImages';

const SHAPE: [number, number, number] = [8, 8, 1];
const N = 12;

const dataset = (): LoadedDataset => randomImageDataset(N, 7, 'precise-bn-test');

function model(): LayersModel {
  return buildModel({ model: 'cnn', width: 2, epochs: 1 }, { inputShape: SHAPE, numClasses: 3, seed: 3, experimentFile: 'test', field: 'student' }).model;
}

type Bn = { momentum: number; getWeights(): tf.Tensor[]; name: string };
const bnLayers = (m: LayersModel) => m.layers.filter((l) => l.getClassName() === 'BatchNormalization') as unknown as Bn[];
/** [moving mean, moving variance] of every batch-norm layer. */
const moving = (m: LayersModel) => bnLayers(m).map((l) => l.getWeights().slice(2).map((w) => Array.from(w.dataSync())));
const trainable = (m: LayersModel) => m.trainableWeights.map((w) => Array.from(w.read().dataSync()));

function close(a: number[][][], b: number[][][], tol: number): void {
  a.forEach((layer, i) => layer.forEach((v, j) => v.forEach((x, k) => assert.ok(Math.abs(x - b[i][j][k]) <= tol * (1 + Math.abs(b[i][j][k])), `layer ${i} stat ${j}[${k}]: ${x} vs ${b[i][j][k]}`))));
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`precise batch norm (${backend})`, () => {
    it('sets the moving statistics to one batch\'s own statistics: inference then equals training mode on that batch', async () => {
      await selectBackend(backend);
      const ds = dataset();
      const m = model();
      const all = Int32Array.from({ length: N }, (_, i) => i);
      recalibrateBatchNorm(m, ds, all, N);
      const x = imageBatch(ds, ds.train, all);
      const train = (m.apply(x, { training: true }) as tf.Tensor[])[0];
      const infer = (m.apply(x, { training: false }) as tf.Tensor[])[0];
      const d = tf.max(tf.abs(tf.sub(train, infer))).dataSync()[0];
      assert.ok(d < 1e-3, `max |training - inference| ${d}`);
    });

    it('averages the batches equally, leaves the weights alone and restores the momentum', async () => {
      await selectBackend(backend);
      const ds = dataset();
      const m = model();
      const weightsBefore = trainable(m);
      const first = Int32Array.from({ length: 6 }, (_, i) => i);
      const second = Int32Array.from({ length: 6 }, (_, i) => i + 6);
      recalibrateBatchNorm(m, ds, first, 6);
      const a = moving(m);
      recalibrateBatchNorm(m, ds, second, 6);
      const b = moving(m);
      recalibrateBatchNorm(m, ds, Int32Array.from([...first, ...second]), 6);
      // Each layer normalises with its batch's own statistics in training mode, so a batch's
      // statistics at every layer do not depend on the other batch: the result is their mean.
      close(moving(m), a.map((layer, i) => layer.map((v, j) => v.map((x, k) => (x + b[i][j][k]) / 2))), 1e-4);
      assert.deepEqual(trainable(m), weightsBefore);
      for (const l of bnLayers(m)) assert.equal(l.momentum, 0.9, l.name);
    });
  });
}

describe('the images precise batch norm averages over', () => {
  it('are a seeded draw of the fit images, all of them when fewer than asked', () => {
    const fit = Int32Array.from([3, 5, 8, 13, 21, 34]);
    const a = preciseBnImages(fit, 4, Rng.derive(1, 'x'));
    assert.equal(a.length, 4);
    assert.deepEqual(a, preciseBnImages(fit, 4, Rng.derive(1, 'x')));
    for (const i of a) assert.ok(fit.includes(i));
    assert.deepEqual([...preciseBnImages(fit, 100, Rng.derive(1, 'x'))].sort((p, q) => p - q), [...fit]);
    assert.equal(preciseBnImages(fit, 0, Rng.derive(1, 'x')).length, 0);
  });
});
