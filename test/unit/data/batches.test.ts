import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { gatherBatch, toFloatBatch } from '../../../src/trainer/data/batches';
import { channelStats } from '../../../src/trainer/data/stats';

function close(actual: Float32Array, expected: number[]): void {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i] - e) < 1e-6, `[${i}] ${actual[i]} != ${e}`));
}

test('toFloatBatch, one channel: (v/255 - mean)/std by hand, in index order', () => {
  // Three 1x2 grey images.
  const x = Uint8Array.from([0, 255, 51, 102, 204, 153]);
  // mean 0.5, std 0.25: 0 -> -2, 255 -> 2, 51 -> -1.2, 102 -> -0.4, 204 -> 1.2, 153 -> 0.4
  close(toFloatBatch(x, [2, 0], [1, 2, 1], [0.5], [0.25]), [1.2, 0.4, -2, 2]);
  close(toFloatBatch(x, Int32Array.from([1]), [1, 2, 1], [0], [1]), [0.2, 0.4]);
});

test('toFloatBatch, three channels: each channel its own mean and std', () => {
  // One 1x2 RGB image.
  const x = Uint8Array.from([255, 0, 51, 0, 255, 102]);
  const mean = [0.5, 0.2, 0.4];
  const std = [0.5, 0.4, 0.2];
  close(toFloatBatch(x, [0], [1, 2, 3], mean, std), [1, -0.5, -1, -1, 2, 0]);
});

test('toFloatBatch fills a given buffer and refuses out-of-range indices', () => {
  const out = new Float32Array(2);
  assert.equal(toFloatBatch(Uint8Array.from([255, 255]), [0], [1, 2, 1], [0], [1], out), out);
  close(out, [1, 1]);
  assert.throws(() => toFloatBatch(Uint8Array.from([1, 2]), [1], [1, 2, 1], [0], [1]), RangeError);
});

test('gatherBatch copies the images at the indices', () => {
  const x = Uint8Array.from([1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(gatherBatch(x, [2, 0, 2], [1, 1, 2])), [5, 6, 1, 2, 5, 6]);
});

test('channelStats by hand', () => {
  // Channel 0 holds 0 and 255 (mean 0.5, std 0.5); channel 1 is constant 51 (std falls back to 1).
  const s = channelStats(Uint8Array.from([0, 51, 255, 51]), 2);
  assert.deepEqual(s.mean.map((v) => +v.toFixed(12)), [0.5, 0.2]);
  assert.deepEqual(s.std, [0.5, 1]);
});
