import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../src/trainer/backend/select';
import { heapOffsetOf, simdKernelsOf } from '../../../src/trainer/backend/wasmKernels/simd/simdKernels';

const SIMD_DIR = path.join(__dirname, '..', '..', '..', 'src', 'trainer', 'backend', 'wasmKernels', 'simd');

test('simdModule.ts is what kernels.wat assembles to', async () => {
  const build = await import('../../../scripts/build-simd-kernels.mjs');
  const expected = build.moduleSource(await build.assembleKernels());
  assert.equal(fs.readFileSync(path.join(SIMD_DIR, 'simdModule.ts'), 'utf8'), expected, 'run node scripts/build-simd-kernels.mjs');
});

test('the SIMD kernels load on the wasm backend (so the gradient tests exercise them)', async () => {
  await selectBackend('wasm');
  assert.ok(simdKernelsOf(tf.backend()), 'SIMD kernels did not instantiate on the wasm backend');
  assert.equal(simdKernelsOf(tf.backend()), simdKernelsOf(tf.backend()), 'one instance per backend memory');
});

test('the SIMD filter gradient equals a direct sum, tile edges included', async () => {
  await selectBackend('wasm');
  const simd = simdKernelsOf(tf.backend());
  assert.ok(simd);
  // One image 5x4x3 (no padding), 2x2 filter, stride 1, 6 output channels: 12 rows (3 tiles of
  // 4), 6 of a tile's 8 columns.
  const [n, h, w, ci, co, fh, fw] = [1, 5, 4, 3, 6, 2, 2];
  const [oh, ow] = [h - fh + 1, w - fw + 1];
  const xv = Float32Array.from({ length: n * h * w * ci }, (_, i) => Math.sin(i * 1.7));
  const dyv = Float32Array.from({ length: n * oh * ow * co }, (_, i) => Math.cos(i * 0.9));
  const rows = fh * fw * ci;
  const offsets: number[] = [];
  for (let r = 0; r < rows; r++) offsets.push(((Math.floor(r / (fw * ci)) * w + (Math.floor(r / ci) % fw)) * ci + (r % ci)) * 4);
  const x = tf.tensor(xv);
  // dy is followed by a spare tensor, as the heap always has something after it.
  const dy = tf.tensor(dyv);
  const spare = tf.zeros([64]);
  const offs = tf.tensor(Int32Array.from(offsets), [rows], 'int32');
  const out = tf.zeros([rows * 8]);
  const at = (t: tf.Tensor) => heapOffsetOf(tf.backend(), { dataId: t.dataId, shape: t.shape, dtype: t.dtype });
  simd.convFilterGrad(at(x), at(dy), at(out), at(offs), n, h, w, ci, oh, ow, co, 1, 1, rows / 4, 1);
  const got = out.dataSync();
  for (let r = 0; r < rows; r++) {
    const [i, j, c] = [Math.floor(r / (fw * ci)), Math.floor(r / ci) % fw, r % ci];
    for (let k = 0; k < co; k++) {
      let sum = 0;
      for (let y = 0; y < oh; y++) for (let xo = 0; xo < ow; xo++) sum += xv[((y + i) * w + xo + j) * ci + c] * dyv[(y * ow + xo) * co + k];
      assert.ok(Math.abs(got[r * 8 + k] - sum) < 1e-5, `row ${r} column ${k}: ${got[r * 8 + k]} against ${sum}`);
    }
  }
  tf.dispose([x, dy, spare, offs, out]);
});
