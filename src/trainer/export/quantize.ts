/**
 * Weight quantization shared by the export formats. Only kernels (tensors of rank 2 and more)
 * are quantized; biases and batch-norm vectors are a tiny share of the bytes but carry most of
 * the error when rounded, so they stay float32.
 */

export type Quantize = 'none' | 'float16' | 'uint8';
export const QUANTIZE_MODES: readonly Quantize[] = ['none', 'float16', 'uint8'];

export function quantizesTensor(shape: readonly number[]): boolean {
  return shape.length >= 2;
}

/** IEEE half precision bits of a float32, rounded to nearest even (as numpy's astype). */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / nan
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow -> inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow -> signed zero
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // may carry into the exponent: correct
  return sign | half;
}
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function toFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toFloat16Bits(values[i]);
  return out;
}

/** uint8 in the tf.js manifest form: value = q * scale + min, one range per tensor. */
export interface AffineUint8 {
  q: Uint8Array;
  scale: number;
  min: number;
}

export function toUint8MinScale(values: Float32Array): AffineUint8 {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  // tf.js reads scale and min as JSON numbers and dequantizes in float32: keep them float32.
  min = Math.fround(min);
  const scale = max > min ? Math.fround((max - min) / 255) : 1;
  const q = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) q[i] = clampByte(Math.round((values[i] - min) / scale));
  return { q, scale, min };
}

/** uint8 in the ONNX DequantizeLinear form: value = (q - zeroPoint) * scale, per channel. */
export interface ZeroPointUint8 {
  q: Uint8Array;
  scale: Float32Array;
  zeroPoint: Uint8Array;
}

/**
 * Per-channel quantization of a tensor whose channel index is `(i / inner) % channels` for flat
 * index i (inner = product of the dims after the channel axis). The range includes zero so that
 * the zero point is an exact integer.
 */
export function toUint8PerChannel(values: Float32Array, channels: number, inner: number): ZeroPointUint8 {
  const lo = new Float64Array(channels);
  const hi = new Float64Array(channels);
  for (let i = 0; i < values.length; i++) {
    const c = Math.floor(i / inner) % channels;
    if (values[i] < lo[c]) lo[c] = values[i];
    if (values[i] > hi[c]) hi[c] = values[i];
  }
  const scale = new Float32Array(channels);
  const zeroPoint = new Uint8Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = hi[c] > lo[c] ? (hi[c] - lo[c]) / 255 : 1;
    zeroPoint[c] = clampByte(Math.round(-lo[c] / scale[c]));
  }
  const q = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const c = Math.floor(i / inner) % channels;
    q[i] = clampByte(Math.round(values[i] / scale[c]) + zeroPoint[c]);
  }
  return { q, scale, zeroPoint };
}

function clampByte(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}
