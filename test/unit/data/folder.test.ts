import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadDataset } from '../../../src/trainer/data';
import { contextIn, greyJpeg8x8Value150, rejectsWith, tempDir, writeJpeg, writePng } from './fixtures';

/** A class's colour, so each decoded pixel says which class and channel it came from. */
const COLOURS: Record<string, [number, number, number]> = { cat: [200, 40, 10], dog: [20, 120, 240] };

function writeClassImages(dir: string, cls: string, count: number, kind: 'png' | 'jpg', size = 6): void {
  const [r, g, b] = COLOURS[cls];
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, cls, `img${i}.${kind}`);
    if (kind === 'png') writePng(file, size, size, () => [r, g, b, 255]);
    else writeJpeg(file, size, size, () => [r, g, b]);
  }
}

const load = (dir: string, extra: object = {}) => loadDataset({ format: 'folder', dir, ...extra }, contextIn(dir), 1);

test('folder: PNG and JPEG classes, sorted class folders, an explicit test/ folder', async (t) => {
  const dir = tempDir(t);
  writeClassImages(path.join(dir, 'train'), 'cat', 3, 'png');
  writeClassImages(path.join(dir, 'train'), 'dog', 2, 'jpg');
  writeClassImages(path.join(dir, 'test'), 'dog', 2, 'jpg');
  fs.writeFileSync(path.join(dir, 'train', 'cat', 'notes.txt'), 'not an image');
  const ds = await load(dir);
  assert.deepEqual(ds.labels, ['cat', 'dog']);
  assert.deepEqual(ds.shape, [6, 6, 3]);
  assert.deepEqual(Array.from(ds.train.y), [0, 0, 0, 1, 1]);
  assert.deepEqual(Array.from(ds.test.y), [1, 1]);
  // PNG is lossless; JPEG of a flat colour comes back within a few levels.
  assert.deepEqual(Array.from(ds.train.x.subarray(0, 3)), COLOURS.cat);
  const dogPixel = Array.from(ds.train.x.subarray(3 * 108 + 7 * 3, 3 * 108 + 8 * 3));
  dogPixel.forEach((v, k) => assert.ok(Math.abs(v - COLOURS.dog[k]) <= 4, `dog channel ${k}: ${v}`));
});

test('folder: grey first image makes a one-channel set; alpha dropped; resized to data.size', async (t) => {
  const dir = tempDir(t);
  // 4x4 grey left half 0, right half 200; bilinear to 2x2 keeps the halves apart.
  writePng(path.join(dir, 'train', 'a', '0.png'), 4, 4, (x) => (x < 2 ? [0, 0, 0, 255] : [200, 200, 200, 255]), 0);
  writePng(path.join(dir, 'train', 'b', '0.png'), 8, 8, () => [100, 100, 100, 30], 6);
  writeJpeg(path.join(dir, 'test', 'b', '1.jpg'), 3, 5, () => [90, 90, 90]);
  const ds = await load(dir, { size: [2, 2] });
  assert.deepEqual(ds.shape, [2, 2, 1]);
  assert.deepEqual(Array.from(ds.train.x), [0, 200, 0, 200, 100, 100, 100, 100], 'grey halves kept; RGBA grey 100 with alpha 30 gives 100');
  Array.from(ds.test.x).forEach((v) => assert.ok(Math.abs(v - 90) <= 2, `RGB JPEG to grey: ${v}`));
  // Without data.size, the first image's size wins.
  assert.deepEqual((await load(dir)).shape, [4, 4, 1]);
});

test('folder: a greyscale JPEG first makes the set grey; colour PNGs follow by luma', async (t) => {
  const dir = tempDir(t);
  fs.mkdirSync(path.join(dir, 'train', 'a'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'train', 'a', '0.jpg'), greyJpeg8x8Value150());
  writePng(path.join(dir, 'train', 'b', '0.png'), 8, 8, () => [255, 0, 0, 255]);
  writePng(path.join(dir, 'test', 'b', '0.png'), 8, 8, () => [0, 0, 255, 255]);
  const ds = await load(dir);
  assert.deepEqual(ds.shape, [8, 8, 1]);
  assert.deepEqual(new Set(ds.train.x.subarray(0, 64)), new Set([150]));
  assert.deepEqual(new Set(ds.train.x.subarray(64)), new Set([76]), 'pure red: round(0.299 * 255)');
  assert.deepEqual(new Set(ds.test.x), new Set([29]), 'pure blue: round(0.114 * 255)');
});

test('folder: bilinear resize values by hand', async (t) => {
  const dir = tempDir(t);
  // 1x4 row 0, 100, 200, 255 resized to 1x2: centres at 0.5 and 2.5, i.e. (0+100)/2 and (200+255)/2.
  const row = [0, 100, 200, 255];
  writePng(path.join(dir, 'train', 'a', '0.png'), 4, 1, (x) => [row[x], row[x], row[x], 255], 0);
  writePng(path.join(dir, 'test', 'a', '0.png'), 4, 1, (x) => [row[x], row[x], row[x], 255], 0);
  const ds = await load(dir, { size: [1, 2] });
  assert.deepEqual(Array.from(ds.train.x), [50, 228]);
});

test('folder: without test/, a stratified 20% per class becomes the test split, the same for any seed', async (t) => {
  const dir = tempDir(t);
  writeClassImages(path.join(dir, 'train'), 'cat', 10, 'png', 2);
  writeClassImages(path.join(dir, 'train'), 'dog', 5, 'png', 2);
  const ds = await load(dir);
  assert.equal(ds.train.n, 12);
  assert.deepEqual(Array.from(ds.test.y), [0, 0, 1]);
  const other = await loadDataset({ format: 'folder', dir }, contextIn(dir), 99);
  assert.deepEqual(Array.from(other.test.x), Array.from(ds.test.x));
});

test('folder: corrupt images, missing folders, unknown test classes, bad data.size', async (t) => {
  const dir = tempDir(t);
  const ctx = contextIn(dir);
  await rejectsWith(load(dir), ctx.experimentFile, 'no train/ folder', 'data.dir');
  fs.mkdirSync(path.join(dir, 'train'));
  await rejectsWith(load(dir), path.join(dir, 'train'), 'no class folders');
  writeClassImages(path.join(dir, 'train'), 'cat', 2, 'png');
  fs.mkdirSync(path.join(dir, 'train', 'dog'));
  await rejectsWith(load(dir), path.join(dir, 'train', 'dog'), 'no images');
  writeClassImages(path.join(dir, 'train'), 'dog', 2, 'jpg');

  const badPng = path.join(dir, 'train', 'cat', 'img1.png');
  const good = fs.readFileSync(badPng);
  fs.writeFileSync(badPng, good.subarray(0, 40));
  await rejectsWith(load(dir), badPng, 'corrupt image');
  fs.writeFileSync(badPng, 'hello, not an image');
  await rejectsWith(load(dir), badPng, 'not a PNG or JPEG image');
  fs.writeFileSync(badPng, good);
  const badJpg = path.join(dir, 'train', 'dog', 'img0.jpg');
  fs.writeFileSync(badJpg, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(30, 7)]));
  await rejectsWith(load(dir), badJpg, 'corrupt image');
  writeClassImages(path.join(dir, 'train'), 'dog', 2, 'jpg');

  writeClassImages(path.join(dir, 'test'), 'dog', 1, 'jpg');
  fs.mkdirSync(path.join(dir, 'test', 'bird'));
  await rejectsWith(load(dir), path.join(dir, 'test', 'bird'), 'class "bird" has no folder in train/');
  fs.rmSync(path.join(dir, 'test', 'bird'), { recursive: true });
  await rejectsWith(load(dir, { size: [0, 3] }), ctx.experimentFile, 'must be [height, width]', 'data.size');
  assert.equal((await load(dir)).test.n, 1);
});
