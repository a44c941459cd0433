import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { test } from 'node:test';
import { loadDataset } from '../../../src/trainer/data';
import { encodeIdxImages, encodeIdxLabels } from '../../../src/trainer/data/idxFile';
import { contextIn, rejectsWith, tempDir, writeIdxDir } from './fixtures';

const load = (dir: string, base = dir) => loadDataset({ format: 'idx', dir }, contextIn(base), 1);

test('idx: raw files round trip, class count from the labels when not MNIST-sized', async (t) => {
  const dir = tempDir(t);
  const f = writeIdxDir(dir, 4, 5, 12, 6, 3);
  const ds = await load(dir);
  assert.deepEqual(ds.shape, [4, 5, 1]);
  assert.equal(ds.numClasses, 3);
  assert.deepEqual(ds.labels, ['0', '1', '2']);
  assert.equal(ds.train.n, 12);
  assert.deepEqual(Array.from(ds.train.x), Array.from(f.trainX));
  assert.deepEqual(Array.from(ds.train.y), f.trainY);
  assert.deepEqual(Array.from(ds.test.x), Array.from(f.testX));
  assert.deepEqual(Array.from(ds.test.y), f.testY);
});

test('idx: gzip detected by content, with or without .gz in the name; labels.txt names classes', async (t) => {
  const base = tempDir(t);
  const named = path.join(base, 'named');
  const unnamed = path.join(base, 'unnamed');
  const f = writeIdxDir(named, 28, 28, 10, 4, 10, { gzip: true, suffix: '.gz' });
  writeIdxDir(unnamed, 28, 28, 10, 4, 10, { gzip: true });
  fs.writeFileSync(path.join(unnamed, 'labels.txt'), 'zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n');
  for (const dir of [named, unnamed]) {
    const ds = await load(dir);
    assert.deepEqual(ds.shape, [28, 28, 1]);
    assert.deepEqual(Array.from(ds.train.x), Array.from(f.trainX));
    assert.deepEqual(Array.from(ds.test.y), f.testY);
    assert.equal(ds.numClasses, 10);
  }
  assert.equal((await load(unnamed)).labels[3], 'three');
  // A 28x28 subset lacking class 9 is still a ten-class MNIST-family set.
  const partial = path.join(base, 'partial');
  writeIdxDir(partial, 28, 28, 9, 3, 9);
  assert.equal((await load(partial)).numClasses, 10);
});

test('idx: a relative data.dir resolves against the experiment folder', async (t) => {
  const base = tempDir(t);
  writeIdxDir(path.join(base, 'mnist'), 4, 4, 6, 3, 3);
  assert.equal((await loadDataset({ format: 'idx', dir: 'mnist' }, contextIn(base), 1)).train.n, 6);
});

test('idx: wrong magic number names the file and both numbers', async (t) => {
  const dir = tempDir(t);
  writeIdxDir(dir, 4, 5, 12, 6, 3);
  const images = path.join(dir, 'train-images-idx3-ubyte');
  fs.copyFileSync(path.join(dir, 'train-labels-idx1-ubyte'), images);
  await rejectsWith(load(dir), images, 'wrong magic number 2049 (expected 2051 for IDX images)');
  const labels = path.join(dir, 't10k-labels-idx1-ubyte');
  writeIdxDir(dir, 4, 5, 12, 6, 3);
  const bytes = fs.readFileSync(labels);
  bytes.writeUInt32BE(1234, 0);
  fs.writeFileSync(labels, bytes);
  await rejectsWith(load(dir), labels, 'wrong magic number 1234 (expected 2049 for IDX labels)');
});

test('idx: truncated and overlong files', async (t) => {
  const dir = tempDir(t);
  writeIdxDir(dir, 4, 5, 10, 6, 3, { gzip: true, suffix: '.gz' });
  const images = path.join(dir, 'train-images-idx3-ubyte.gz');
  const raw = zlib.gunzipSync(fs.readFileSync(images));
  fs.writeFileSync(images, zlib.gzipSync(raw.subarray(0, raw.length - 10)));
  await rejectsWith(load(dir), images, 'truncated: header says 10 images of 4x5 but file holds 9.5');
  fs.writeFileSync(images, zlib.gzipSync(Buffer.concat([raw, Buffer.alloc(20)])));
  await rejectsWith(load(dir), images, 'size mismatch: header says 10 images of 4x5 but file holds 11');
  fs.writeFileSync(images, raw.subarray(0, 7));
  await rejectsWith(load(dir), images, 'too short for an IDX images header');
  fs.writeFileSync(images, Buffer.from([0x1f, 0x8b, 1, 2, 3]));
  await rejectsWith(load(dir), images, 'corrupt gzip data');
});

test('idx: image and label counts must agree; test images must match train size', async (t) => {
  const dir = tempDir(t);
  writeIdxDir(dir, 4, 5, 10, 6, 3);
  const labels = path.join(dir, 'train-labels-idx1-ubyte');
  fs.writeFileSync(labels, encodeIdxLabels([0, 1, 2, 0, 1, 2, 0, 1, 2]));
  await rejectsWith(load(dir), labels, 'holds 9 labels but train-images-idx3-ubyte holds 10 images');
  writeIdxDir(dir, 4, 5, 10, 6, 3);
  const testImages = path.join(dir, 't10k-images-idx3-ubyte');
  fs.writeFileSync(testImages, encodeIdxImages(new Uint8Array(6 * 25), 6, 5, 5));
  await rejectsWith(load(dir), testImages, 'images are 5x5 but the training images are 4x5');
});

test('idx: labels out of the range labels.txt gives', async (t) => {
  const dir = tempDir(t);
  writeIdxDir(dir, 4, 5, 10, 6, 3);
  fs.writeFileSync(path.join(dir, 'labels.txt'), 'a\nb\n');
  await rejectsWith(load(dir), path.join(dir, 'train-labels-idx1-ubyte'), 'label 2 out of range 0..1 (record 2)');
  fs.writeFileSync(path.join(dir, 'labels.txt'), '\n\n');
  await rejectsWith(load(dir), path.join(dir, 'labels.txt'), 'names no classes');
});

test('idx: missing files and directories', async (t) => {
  const base = tempDir(t);
  const dir = path.join(base, 'd');
  writeIdxDir(dir, 4, 5, 10, 6, 3);
  fs.rmSync(path.join(dir, 't10k-labels-idx1-ubyte'));
  await rejectsWith(load(dir, base), path.join(dir, 't10k-labels-idx1-ubyte'), 'not found');
  const ctx = contextIn(base);
  await rejectsWith(load(path.join(base, 'nowhere'), base), ctx.experimentFile, 'directory not found', 'data.dir');
  await rejectsWith(loadDataset({ format: 'idx' }, ctx, 1), ctx.experimentFile, 'required', 'data.dir');
  await rejectsWith(load(path.join(dir, 'train-images-idx3-ubyte'), base), ctx.experimentFile, 'not a directory', 'data.dir');
});
