import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { KernelCalls } from './kernelCalls';
import { withFallback, type WasmKernelArgs } from './originals';

/**
 * The gradient of a 2-D max pool as one pass over the pooled windows: for each output position
 * and channel, the first maximum of its window (in the forward input) receives dy, as in the cpu
 * backend. The wasm backend's MaxPoolGrad took ~40 ms per call on a small CNN's activations;
 * this loop reads the input once and dy once. Channels are the inner loop (NHWC), so every
 * access is sequential. Dilated pools (which tf.maxPool does not make) fall back.
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
  const dx = out.values as Float32Array;
  dx.fill(0);
  const x = calls.values(input) as Float32Array;
  const g = calls.values(dy) as Float32Array;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const best = new Float32Array(c);
  const at = new Int32Array(c);
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
        best.fill(-Infinity);
        at.fill(-1);
        for (let yi = yStart; yi < yEnd; yi++) {
          for (let xi = xStart; xi < xEnd; xi++) {
            const base = xBatch + (yi * w + xi) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[base + ch];
              if (v > best[ch]) {
                best[ch] = v;
                at[ch] = base + ch;
              }
            }
          }
        }
        const gBase = ((b * oh + yo) * ow + xo) * c;
        for (let ch = 0; ch < c; ch++) if (at[ch] >= 0) dx[at[ch]] += g[gBase + ch];
      }
    }
  }
  return calls.keep(out.info);
}

export const maxPoolGradConfig: KernelConfig = withFallback(tf.MaxPoolGrad, maxPoolGrad);
