import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { KernelCalls } from './kernelCalls';
import { heapOffsetOf, simdKernelsOf } from './simd/simdKernels';
import { withFallback, type WasmKernelArgs } from './originals';

/**
 * The gradient of a 2-D max pool as one pass over the pooled windows: for each output position
 * and channel, the first maximum of its window (in the forward input) receives dy, as in the cpu
 * backend. The wasm backend's MaxPoolGrad took ~40 ms per call on a small CNN's activations;
 * this loop reads the input once and dy once (about 2x faster than the original on a small CNN's
 * activations, 64x28x28x8). The window's taps are found once per position, then each channel
 * scans them (NHWC: the taps of neighbouring channels are neighbours in memory). Dilated pools (which tf.maxPool does not make) fall back.
 */
function maxPoolGrad(args: WasmKernelArgs): TensorInfo | null {
  const dy = args.inputs.dy as TensorInfo;
  const input = args.inputs.input as TensorInfo;
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPoolGradAttrs;
  if (input.dtype !== 'float32' || dy.dtype !== 'float32') return null;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  const calls = new KernelCalls(args.backend);
  const out = calls.output(input.shape);
  const simd = simdKernelsOf(args.backend);
  if (simd && tilesExactly2x2(info)) {
    // The common pool (2x2, stride 2, windows tiling the input exactly): SKD Lab's SIMD kernel,
    // four channels at a time, every element written once (about 4x faster than the loop below).
    const heap = (t: TensorInfo) => heapOffsetOf(args.backend, t);
    simd.maxPoolGrad2x2(heap(input), heap(dy), heap(out.info), info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth);
    return calls.keep(out.info);
  }
  const dx = out.values as Float32Array;
  dx.fill(0);
  const x = calls.values(input) as Float32Array;
  const g = calls.values(dy) as Float32Array;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // Offsets (into x, channel 0) of the current window's taps inside the input, in the cpu
  // backend's scan order (rows, then columns): the first maximum in that order wins.
  const taps = new Int32Array(fh * fw);
  for (let b = 0; b < n; b++) {
    const xBatch = b * h * w * c;
    for (let yo = 0; yo < oh; yo++) {
      const y0 = yo * sh - top;
      const yStart = Math.max(0, y0);
      const yEnd = Math.min(h, y0 + fh);
      for (let xo = 0; xo < ow; xo++) {
        const x0 = xo * sw - left;
        const xStart = Math.max(0, x0);
        const xEnd = Math.min(w, x0 + fw);
        let k = 0;
        for (let yi = yStart; yi < yEnd; yi++) for (let xi = xStart; xi < xEnd; xi++) taps[k++] = xBatch + (yi * w + xi) * c;
        const gBase = ((b * oh + yo) * ow + xo) * c;
        if (k === 4) {
          // A whole 2x2 window (the common pool), unrolled.
          const [t0, t1, t2, t3] = [taps[0], taps[1], taps[2], taps[3]];
          for (let ch = 0; ch < c; ch++) {
            let best = x[t0 + ch];
            let at = t0 + ch;
            // As the cpu backend (which starts from -Infinity): a NaN or -Infinity first tap is skipped.
            if (!(best > -Infinity)) {
              best = -Infinity;
              at = -1;
            }
            let v = x[t1 + ch];
            if (v > best) {
              best = v;
              at = t1 + ch;
            }
            v = x[t2 + ch];
            if (v > best) {
              best = v;
              at = t2 + ch;
            }
            v = x[t3 + ch];
            if (v > best) at = t3 + ch;
            if (at >= 0) dx[at] += g[gBase + ch];
          }
          continue;
        }
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let j = 0; j < k; j++) {
            const v = x[taps[j] + ch];
            if (v > best) {
              best = v;
              at = taps[j] + ch;
            }
          }
          if (at >= 0) dx[at] += g[gBase + ch];
        }
      }
    }
  }
  return calls.keep(out.info);
}

/** A 2x2 pool of stride 2 whose windows cover the input exactly, with at least 4 channels (the SIMD kernel's case). */
function tilesExactly2x2(info: tf.backend_util.Conv2DInfo): boolean {
  return (
    info.filterHeight === 2 &&
    info.filterWidth === 2 &&
    info.strideHeight === 2 &&
    info.strideWidth === 2 &&
    info.padInfo.top === 0 &&
    info.padInfo.left === 0 &&
    info.outHeight * 2 === info.inHeight &&
    info.outWidth * 2 === info.inWidth &&
    info.inChannels >= 4
  );
}

export const maxPoolGradConfig: KernelConfig = withFallback(tf.MaxPoolGrad, maxPoolGrad);
