import type { Rng } from '../util/rng';

/**
 * Training-time augmentation of a uint8 NHWC batch (`n` images of `shape` = [h, w, c]).
 * Each function returns a new buffer (or fills `out`, which must not be `x`) and draws only
 * from `rng`, so the same generator state gives the same batch.
 */

/**
 * Random crop after zero padding: each image is shifted by dy, dx drawn uniformly from
 * -pad..pad, and what moves in from outside is 0 — the same as padding by `pad` pixels and
 * cropping back to h x w at a random place.
 */
export function randomCrop(x: Uint8Array, n: number, shape: readonly number[], pad: number, rng: Rng, out = new Uint8Array(x.length)): Uint8Array {
  const [h, w, c] = shape;
  const row = w * c;
  const size = h * row;
  out.fill(0, 0, n * size);
  for (let i = 0; i < n; i++) {
    const dy = rng.int(2 * pad + 1) - pad;
    const dx = rng.int(2 * pad + 1) - pad;
    // Output column x reads input column x + dx; only the columns with both inside are copied.
    const x0 = Math.max(0, -dx);
    const x1 = Math.min(w, w - dx);
    if (x1 <= x0) continue;
    const base = i * size;
    for (let y = Math.max(0, -dy), yEnd = Math.min(h, h - dy); y < yEnd; y++) {
      const src = base + (y + dy) * row + (x0 + dx) * c;
      out.set(x.subarray(src, src + (x1 - x0) * c), base + y * row + x0 * c);
    }
  }
  return out;
}

/** Mirrors each image left-right with probability 1/2. */
export function randomFlip(x: Uint8Array, n: number, shape: readonly number[], rng: Rng, out = new Uint8Array(x.length)): Uint8Array {
  const [h, w, c] = shape;
  const row = w * c;
  const size = h * row;
  for (let i = 0; i < n; i++) {
    const base = i * size;
    if (rng.next() >= 0.5) {
      out.set(x.subarray(base, base + size), base);
      continue;
    }
    for (let y = 0; y < h; y++) {
      const r = base + y * row;
      for (let px = 0; px < w; px++) {
        const src = r + px * c;
        const dst = r + (w - 1 - px) * c;
        for (let k = 0; k < c; k++) out[dst + k] = x[src + k];
      }
    }
  }
  return out;
}

export interface AugmentOptions {
  /** Mirror half of the images. */
  flip?: boolean;
  /** Padding in pixels for the random crop; 0 or absent for none. */
  crop?: number;
}

/** The experiment's augmentation (`data.augment`): crop, then flip. Returns `x` itself when there is none. */
export function augmentBatch(x: Uint8Array, n: number, shape: readonly number[], options: AugmentOptions, rng: Rng): Uint8Array {
  let y = x;
  if (options.crop && options.crop > 0) y = randomCrop(y, n, shape, options.crop, rng);
  if (options.flip) y = randomFlip(y, n, shape, rng);
  return y;
}
