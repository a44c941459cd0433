import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadDataset } from '../../../src/trainer/data';
import { cifarPixel, cifarRecord, contextIn, rejectsWith, tempDir } from './fixtures';

const CIFAR10_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** Five training batches of two records each and a test batch of three; seeds are record numbers. */
function writeCifar10(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  for (let b = 1; b <= 5; b++) {
    const recs = [0, 1].map((j) => cifarRecord([(2 * (b - 1) + j) % 10], 2 * (b - 1) + j));
    fs.writeFileSync(path.join(dir, `data_batch_${b}.bin`), Buffer.concat(recs));
  }
  fs.writeFileSync(path.join(dir, 'test_batch.bin'), Buffer.concat([7, 8, 9].map((s) => cifarRecord([s], 100 + s))));
  fs.writeFileSync(path.join(dir, 'batches.meta.txt'), CIFAR10_NAMES.join('\n') + '\n\n');
}

const load10 = (dir: string) => loadDataset({ format: 'cifar10', dir }, contextIn(dir), 1);

test('cifar10: records in batch order, CHW planes turned into HWC, names from batches.meta.txt', async (t) => {
  const dir = tempDir(t);
  writeCifar10(dir);
  const ds = await load10(dir);
  assert.deepEqual(ds.shape, [32, 32, 3]);
  assert.equal(ds.numClasses, 10);
  assert.deepEqual(ds.labels, CIFAR10_NAMES);
  assert.equal(ds.train.n, 10);
  assert.deepEqual(Array.from(ds.train.y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(Array.from(ds.test.y), [7, 8, 9]);
  for (const [i, p, k] of [[0, 0, 0], [3, 33, 1], [9, 1023, 2], [5, 500, 0]]) {
    assert.equal(ds.train.x[i * 3072 + p * 3 + k], cifarPixel(i, p, k), `train ${i} pixel ${p} channel ${k}`);
  }
  assert.equal(ds.test.x[2 * 3072 + 40 * 3 + 2], cifarPixel(109, 40, 2));
});

test('cifar10: the folder the archive unpacks to is found inside data.dir', async (t) => {
  const dir = tempDir(t);
  writeCifar10(path.join(dir, 'cifar-10-batches-bin'));
  assert.equal((await load10(dir)).train.n, 10);
});

test('cifar10: bad sizes, labels, names and missing batches', async (t) => {
  const dir = tempDir(t);
  writeCifar10(dir);
  const batch3 = path.join(dir, 'data_batch_3.bin');
  fs.writeFileSync(batch3, Buffer.concat([cifarRecord([1], 0), cifarRecord([2], 0).subarray(0, 3000)]));
  await rejectsWith(load10(dir), batch3, 'size 6073 is not a whole number of 3073-byte cifar10 records');
  fs.writeFileSync(batch3, Buffer.concat([cifarRecord([1], 0), cifarRecord([12], 0)]));
  await rejectsWith(load10(dir), batch3, 'label 12 out of range 0..9 (record 1)');
  fs.writeFileSync(batch3, Buffer.alloc(0));
  await rejectsWith(load10(dir), batch3, 'empty file');
  fs.rmSync(batch3);
  await rejectsWith(load10(dir), batch3, 'not found');
  writeCifar10(dir);
  const meta = path.join(dir, 'batches.meta.txt');
  fs.writeFileSync(meta, 'a\nb\n');
  await rejectsWith(load10(dir), meta, 'names 2 classes, expected 10');
});

test('cifar100: coarse and fine label bytes, the fine one is the class', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'train.bin'), Buffer.concat([cifarRecord([3, 99], 1), cifarRecord([19, 42], 2)]));
  fs.writeFileSync(path.join(dir, 'test.bin'), cifarRecord([0, 7], 3));
  const names = Array.from({ length: 100 }, (_, k) => `class${k}`);
  fs.writeFileSync(path.join(dir, 'fine_label_names.txt'), names.join('\n'));
  const load = () => loadDataset({ format: 'cifar100', dir }, contextIn(dir), 1);
  const ds = await load();
  assert.equal(ds.numClasses, 100);
  assert.deepEqual(Array.from(ds.train.y), [99, 42]);
  assert.deepEqual(Array.from(ds.test.y), [7]);
  assert.equal(ds.labels[42], 'class42');
  assert.equal(ds.train.x[3072 + 10 * 3 + 1], cifarPixel(2, 10, 1));

  const train = path.join(dir, 'train.bin');
  fs.writeFileSync(train, Buffer.concat([cifarRecord([3, 100], 1)]));
  await rejectsWith(load(), train, 'label 100 out of range 0..99 (record 0)');
  fs.writeFileSync(train, Buffer.concat([cifarRecord([1, 2], 1), cifarRecord([20, 2], 1)]));
  await rejectsWith(load(), train, 'coarse label 20 out of range 0..19 (record 1)');
  // A CIFAR-10 batch read as CIFAR-100 does not divide into 3074-byte records.
  fs.writeFileSync(train, Buffer.concat([cifarRecord([1], 1), cifarRecord([2], 1)]));
  await rejectsWith(load(), train, 'not a whole number of 3074-byte cifar100 records');
});
