import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { DATA_FORMAT_NAMES, getDataFormat, loadDataset, registerDataFormat, stratifiedSplit } from '../../../src/trainer/data';
import type { DataFormat, Split } from '../../../src/trainer/data/types';
import { Rng } from '../../../src/trainer/util/rng';
import { contextIn, rejectsWith } from './fixtures';

/** An in-memory format with imbalanced classes (class k has 10 * (k + 1) records); image i is all i % 256. */
function memorySplit(sizes: number[], shape: [number, number, number]): Split {
  const y = sizes.flatMap((s, k) => Array<number>(s).fill(k));
  const size = shape[0] * shape[1] * shape[2];
  const x = new Uint8Array(y.length * size);
  for (let i = 0; i < y.length; i++) x.fill(i % 256, i * size, (i + 1) * size);
  return { x, y: Int32Array.from(y), n: y.length };
}

const memory: DataFormat = {
  name: 'memory-test',
  async load() {
    return {
      name: 'memory',
      shape: [2, 2, 1],
      numClasses: 4,
      labels: ['a', 'b', 'c', 'd'],
      train: memorySplit([10, 20, 30, 40], [2, 2, 1]),
      test: memorySplit([5, 5, 5, 5], [2, 2, 1]),
      mean: [],
      std: [],
      source: 'memory',
    };
  },
};
registerDataFormat(memory);

const ctx = contextIn('/nonexistent');
const counts = (y: Int32Array, k: number) => Array.from({ length: k }, (_, c) => y.filter((v) => v === c).length);

test('registry: the five formats and registered plugins', () => {
  for (const n of ['builtin', 'idx', 'cifar10', 'cifar100', 'folder', 'memory-test']) assert.ok(DATA_FORMAT_NAMES.includes(n), n);
  assert.equal(getDataFormat('memory-test'), memory);
  assert.equal(getDataFormat('nope'), undefined);
});

test('limit: stratified (class shares kept), same for the same seed, different for another', async () => {
  const spec = { format: 'memory-test', limit: { train: 50, test: 8 } };
  const a = await loadDataset(spec, ctx, 1);
  assert.equal(a.train.n, 50);
  assert.deepEqual(counts(a.train.y, 4), [5, 10, 15, 20]);
  assert.deepEqual(counts(a.test.y, 4), [2, 2, 2, 2]);
  const again = await loadDataset(spec, ctx, 1);
  assert.deepEqual(Array.from(again.train.x), Array.from(a.train.x));
  const other = await loadDataset(spec, ctx, 2);
  assert.deepEqual(counts(other.train.y, 4), [5, 10, 15, 20]);
  assert.notDeepEqual(Array.from(other.train.x), Array.from(a.train.x));
  // Odd limits hand the leftover records to the classes with the largest remainders.
  assert.deepEqual(counts((await loadDataset({ format: 'memory-test', limit: { train: 7 } }, ctx, 1)).train.y, 4), [1, 1, 2, 3]);
  // A limit above the split size keeps everything, in file order.
  const all = await loadDataset({ format: 'memory-test', limit: { train: 1000 } }, ctx, 1);
  assert.equal(all.train.n, 100);
});

test('mean and std are computed from the training images kept', async () => {
  const ds = await loadDataset({ format: 'memory-test' }, ctx, 1);
  // Image i is filled with i (0..99): mean 49.5/255, std sqrt((100^2 - 1) / 12)/255.
  assert.ok(Math.abs(ds.mean[0] - 49.5 / 255) < 1e-12);
  assert.ok(Math.abs(ds.std[0] - Math.sqrt((100 * 100 - 1) / 12) / 255) < 1e-12);
});

test('bad input: unknown format, bad limits, a plugin giving out-of-range labels', async () => {
  await rejectsWith(loadDataset({ format: 'tiff' }, ctx, 1), ctx.experimentFile, 'unknown data format "tiff" (known: builtin, idx, cifar10, cifar100, folder', 'data.format');
  await rejectsWith(loadDataset({ format: 'memory-test', limit: { train: 0 } }, ctx, 1), ctx.experimentFile, 'whole number', 'data.limit.train');
  await rejectsWith(loadDataset({ format: 'memory-test', limit: { test: 2.5 } }, ctx, 1), ctx.experimentFile, 'whole number', 'data.limit.test');
  registerDataFormat({
    name: 'broken-test',
    async load(spec, c) {
      const ds = await memory.load(spec, c);
      ds.train.y[3] = 7;
      return ds;
    },
  });
  await rejectsWith(loadDataset({ format: 'broken-test' }, ctx, 1), 'memory', 'label 7 out of range 0..3 (record 3)', 'train labels');
});

test('stratifiedSplit holds out about the share of each class', () => {
  const y = memorySplit([10, 20, 30, 40], [1, 1, 1]).y;
  const { kept, held } = stratifiedSplit(y, 0.1, Rng.derive(3, 'validation'));
  assert.deepEqual(counts(Int32Array.from(held, (i) => y[i]), 4), [1, 2, 3, 4]);
  assert.equal(kept.length + held.length, 100);
  assert.equal(new Set([...kept, ...held]).size, 100);
});
