import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { loadDataset } from '../../../src/trainer/data';

// Debian's dataset-fashion-mnist, which CI installs (.ci/run): the idx format on the real files.
const DIR = '/usr/share/datasets/fashion-mnist';
const present = fs.existsSync(`${DIR}/train-images-idx3-ubyte.gz`);

describe('the full Fashion-MNIST of Debian through the idx format', () => {
  it('loads 60000 + 10000 images of 28x28 in 10 balanced classes', { skip: present ? false : `${DIR} is not installed` }, async () => {
    const ds = await loadDataset({ format: 'idx', dir: DIR }, { experimentFile: 'test.skd.json', baseDir: '/' }, 1);
    assert.deepEqual([ds.train.n, ds.test.n, ds.numClasses], [60000, 10000, 10]);
    assert.deepEqual(ds.shape, [28, 28, 1]);
    const perClass = new Array(10).fill(0);
    for (const y of ds.test.y) perClass[y]++;
    assert.deepEqual(perClass, new Array(10).fill(1000));
    // Published statistics of the training images.
    assert.ok(Math.abs(ds.mean[0] - 0.286) < 0.001, String(ds.mean[0]));
    assert.ok(Math.abs(ds.std[0] - 0.353) < 0.001, String(ds.std[0]));
  });
});
