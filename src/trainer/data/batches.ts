/**
 * From stored uint8 NHWC images to the float batches the networks take. The engine calls these
 * for every batch, so they are plain loops over typed arrays.
 */

/** The images at `indices`, copied into one contiguous uint8 NHWC batch (e.g. for augmentation). */
export function gatherBatch(x: Uint8Array, indices: ArrayLike<number>, shape: readonly number[]): Uint8Array {
  const size = shape[0] * shape[1] * shape[2];
  const out = new Uint8Array(indices.length * size);
  for (let j = 0; j < indices.length; j++) {
    const src = indices[j] * size;
    if (src < 0 || src + size > x.length) throw new RangeError(`image index ${indices[j]} out of range`);
    out.set(x.subarray(src, src + size), j * size);
  }
  return out;
}

/**
 * The images at `indices`, normalised per channel to (v/255 - mean) / std, as float32 NHWC.
 * `shape` is one image's [h, w, c]; `mean` and `std` are in [0,1] units, one per channel.
 */
export function toFloatBatch(
  x: Uint8Array,
  indices: Int32Array | ArrayLike<number>,
  shape: readonly number[],
  mean: readonly number[],
  std: readonly number[],
  out?: Float32Array,
): Float32Array {
  const c = shape[2];
  const size = shape[0] * shape[1] * c;
  const result = out ?? new Float32Array(indices.length * size);
  // (v/255 - m)/s = v * scale + bias: one multiply-add per byte.
  const scale = new Float32Array(c);
  const bias = new Float32Array(c);
  for (let k = 0; k < c; k++) {
    scale[k] = 1 / (255 * std[k]);
    bias[k] = -mean[k] / std[k];
  }
  for (let j = 0; j < indices.length; j++) {
    const src = indices[j] * size;
    if (src < 0 || src + size > x.length) throw new RangeError(`image index ${indices[j]} out of range`);
    const dst = j * size;
    if (c === 1) {
      const s = scale[0];
      const b = bias[0];
      for (let p = 0; p < size; p++) result[dst + p] = x[src + p] * s + b;
    } else {
      for (let p = 0; p < size; p += c) {
        for (let k = 0; k < c; k++) result[dst + p + k] = x[src + p + k] * scale[k] + bias[k];
      }
    }
  }
  return result;
}
