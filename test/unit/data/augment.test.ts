import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { augmentBatch, randomCrop, randomFlip } from '../../../src/trainer/data/augment';
import { Rng } from '../../../src/trainer/util/rng';
import { patternImages } from './fixtures';

const shape = [5, 6, 3];
const size = 5 * 6 * 3;
const n = 40;
// Bytes 1..255 only, so a 0 can only come from the padding.
const x = patternImages(n, size).map((v) => 1 + (v % 255));

function image(b: Uint8Array, i: number): Uint8Array {
  return b.subarray(i * size, (i + 1) * size);
}

/** Image i shifted by (dy, dx) with zeros coming in: the crop's reference definition. */
function shifted(i: number, dy: number, dx: number): number[] {
  const [h, w, c] = shape;
  const out: number[] = [];
  for (let y = 0; y < h; y++) {
    for (let xx = 0; xx < w; xx++) {
      for (let k = 0; k < c; k++) {
        const sy = y + dy;
        const sx = xx + dx;
        out.push(sy >= 0 && sy < h && sx >= 0 && sx < w ? x[i * size + (sy * w + sx) * c + k] : 0);
      }
    }
  }
  return out;
}

function mirrored(i: number): number[] {
  const [h, w, c] = shape;
  const out: number[] = [];
  for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) for (let k = 0; k < c; k++) out.push(x[i * size + (y * w + (w - 1 - xx)) * c + k]);
  return out;
}

test('random crop: every image is its own shift by at most pad pixels, zero filled; several shifts occur', () => {
  const pad = 2;
  const out = randomCrop(x, n, shape, pad, new Rng(5));
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const got = Array.from(image(out, i));
    let match: string | undefined;
    for (let dy = -pad; dy <= pad && !match; dy++) for (let dx = -pad; dx <= pad && !match; dx++) if (JSON.stringify(shifted(i, dy, dx)) === JSON.stringify(got)) match = `${dy},${dx}`;
    assert.ok(match, `image ${i} is no shift of its input`);
    seen.add(match);
  }
  assert.ok(seen.size >= 8, `only ${seen.size} distinct shifts`);
  assert.deepEqual(Array.from(randomCrop(x, n, shape, 0, new Rng(5))), Array.from(x), 'pad 0 is the identity');
});

test('random flip: each image is itself or its mirror, both occur; the input is untouched', () => {
  const before = Array.from(x);
  const out = randomFlip(x, n, shape, new Rng(9));
  let flips = 0;
  for (let i = 0; i < n; i++) {
    const got = Array.from(image(out, i));
    if (JSON.stringify(got) === JSON.stringify(mirrored(i))) flips++;
    else assert.deepEqual(got, Array.from(image(x, i)));
  }
  assert.ok(flips > 5 && flips < 35, `${flips} of ${n} flipped`);
  assert.deepEqual(Array.from(x), before);
});

test('augmentation is determined by the generator: same seed same batch, other seed other batch', () => {
  const opts = { flip: true, crop: 2 };
  const a = augmentBatch(x, n, shape, opts, Rng.derive(1, 'augment', 0));
  const b = augmentBatch(x, n, shape, opts, Rng.derive(1, 'augment', 0));
  const c = augmentBatch(x, n, shape, opts, Rng.derive(2, 'augment', 0));
  assert.deepEqual(Array.from(a), Array.from(b));
  assert.notDeepEqual(Array.from(a), Array.from(c));
  assert.equal(augmentBatch(x, n, shape, {}, new Rng(1)), x, 'no augmentation, no copy');
});
