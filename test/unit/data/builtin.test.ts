import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadDataset } from '../../../src/trainer/data';
import { builtinDir, FASHION_MNIST_LABELS } from '../../../src/trainer/data/builtin';
import { contextIn, rejectsWith } from './fixtures';

const ctx = contextIn('/nonexistent');

test('builtin fashion-mnist-mini: 10 balanced classes, 8000 train and 2000 test images of 28x28', async () => {
  const ds = await loadDataset({ format: 'builtin', name: 'fashion-mnist-mini' }, ctx, 1);
  assert.deepEqual(ds.shape, [28, 28, 1]);
  assert.equal(ds.numClasses, 10);
  assert.deepEqual(ds.labels, FASHION_MNIST_LABELS);
  assert.equal(ds.train.n, 8000);
  assert.equal(ds.test.n, 2000);
  const perClass = (y: Int32Array) => Array.from({ length: 10 }, (_, k) => y.filter((v) => v === k).length);
  assert.deepEqual(perClass(ds.train.y), Array(10).fill(800));
  assert.deepEqual(perClass(ds.test.y), Array(10).fill(200));
  // Fashion-MNIST's known pixel statistics (0.286, 0.353 on the full set).
  assert.ok(Math.abs(ds.mean[0] - 0.286) < 0.01 && Math.abs(ds.std[0] - 0.353) < 0.01, `${ds.mean} ${ds.std}`);
  assert.match(ds.license ?? '', /MIT.*Zalando/);
});

test('builtin data ships with its license', () => {
  const license = fs.readFileSync(path.join(builtinDir('fashion-mnist-mini'), 'LICENSE'), 'utf8');
  assert.match(license, /Copyright \(c\) 2017 Zalando SE/);
  assert.match(license, /Permission is hereby granted, free of charge/);
});

test('builtin: unknown name names the experiment field', async () => {
  await rejectsWith(loadDataset({ format: 'builtin', name: 'imagenet' }, ctx, 1), ctx.experimentFile, 'unknown builtin data set "imagenet" (known: fashion-mnist-mini)', 'data.name');
});
