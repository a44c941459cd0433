import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { depthwiseGeometry, depthwiseLoopGeometry, tapRanges, type DepthwiseLoopGeometry } from './convGeometry';
import { KernelCalls } from './kernelCalls';

/**
 * The filter gradient of a depthwise convolution, missing from the wasm backend:
 *   dW[i, j, c, k] = sum over n, oh, ow of x[n, oh*s + i - padTop, ow*s + j - padLeft, c] * dy[n, oh, ow, c*m + k].
 * Channels stay separate, so this is no single convolution. It is direct loops in JavaScript
 * over the input and gradient in the wasm heap, summing into a filter-sized Float64Array.
 * The earlier composition of a strided slice, a multiply and a matrix product per filter tap
 * (~30 kernel calls, each with a full-size intermediate) took 238 ms of a 292 ms MobileNet
 * training step (batch 64, 28x28x1); these loops do the same ~5 M multiply-adds in ~7 ms.
 */
function depthwiseBackpropFilter(args: {
  inputs: tf.DepthwiseConv2dNativeBackpropFilterInputs;
  backend: tf.KernelBackend;
  attrs: tf.DepthwiseConv2dNativeBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const { filterShape } = attrs;
  const info = depthwiseGeometry('DepthwiseConv2dNativeBackpropFilter', x.shape as [number, number, number, number], filterShape, attrs);
  const g = depthwiseLoopGeometry(info, filterShape);
  const calls = new KernelCalls(backend);
  // Allocate first: a new allocation may grow the heap and detach earlier views.
  const out = calls.output([...filterShape]);
  const xs = calls.values(x) as Float32Array;
  const dys = calls.values(dy) as Float32Array;
  const { m } = g;
  const acc = m === 1 ? multiplierOne(xs, dys, g) : anyMultiplier(xs, dys, g);
  (out.values as Float32Array).set(acc);
  return calls.keep(out.info);
}

/**
 * Multiplier 1 (every depthwise layer SKD Lab's models build): for each filter tap and each block
 * of 8 (then 4, then 1) channels, the sums sit in locals and run along whole output rows, so the
 * innermost loop is loads and multiply-adds with no stores. x and dy are read once per tap and
 * block (from cache: 1.6 MB each at the largest layer). 3x faster than anyMultiplier's order.
 */
function multiplierOne(xs: Float32Array, dys: Float32Array, g: DepthwiseLoopGeometry): Float64Array {
  const { n, inH, inW, outH, outW, fh, fw, sh, sw, top, left, c } = g;
  const acc = new Float64Array(fh * fw * c);
  const xStep = sw * c;
  for (const { i, j, ohFrom, ohTo, owFrom, owTo } of tapRanges(g)) {
    const accAt = (i * fw + j) * c;
    let ch = 0;
    for (; ch + 8 <= c; ch += 8) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let s4 = 0;
      let s5 = 0;
      let s6 = 0;
      let s7 = 0;
      for (let b = 0; b < n; b++) {
        for (let oh = ohFrom; oh < ohTo; oh++) {
          let xa = ((b * inH + oh * sh + i - top) * inW + owFrom * sw + j - left) * c + ch;
          let da = ((b * outH + oh) * outW + owFrom) * c + ch;
          for (let ow = owFrom; ow < owTo; ow++) {
            s0 += xs[xa] * dys[da];
            s1 += xs[xa + 1] * dys[da + 1];
            s2 += xs[xa + 2] * dys[da + 2];
            s3 += xs[xa + 3] * dys[da + 3];
            s4 += xs[xa + 4] * dys[da + 4];
            s5 += xs[xa + 5] * dys[da + 5];
            s6 += xs[xa + 6] * dys[da + 6];
            s7 += xs[xa + 7] * dys[da + 7];
            xa += xStep;
            da += c;
          }
        }
      }
      acc[accAt + ch] = s0;
      acc[accAt + ch + 1] = s1;
      acc[accAt + ch + 2] = s2;
      acc[accAt + ch + 3] = s3;
      acc[accAt + ch + 4] = s4;
      acc[accAt + ch + 5] = s5;
      acc[accAt + ch + 6] = s6;
      acc[accAt + ch + 7] = s7;
    }
    for (; ch + 4 <= c; ch += 4) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let b = 0; b < n; b++) {
        for (let oh = ohFrom; oh < ohTo; oh++) {
          let xa = ((b * inH + oh * sh + i - top) * inW + owFrom * sw + j - left) * c + ch;
          let da = ((b * outH + oh) * outW + owFrom) * c + ch;
          for (let ow = owFrom; ow < owTo; ow++) {
            s0 += xs[xa] * dys[da];
            s1 += xs[xa + 1] * dys[da + 1];
            s2 += xs[xa + 2] * dys[da + 2];
            s3 += xs[xa + 3] * dys[da + 3];
            xa += xStep;
            da += c;
          }
        }
      }
      acc[accAt + ch] = s0;
      acc[accAt + ch + 1] = s1;
      acc[accAt + ch + 2] = s2;
      acc[accAt + ch + 3] = s3;
    }
    for (; ch < c; ch++) {
      let s = 0;
      for (let b = 0; b < n; b++) {
        for (let oh = ohFrom; oh < ohTo; oh++) {
          let xa = ((b * inH + oh * sh + i - top) * inW + owFrom * sw + j - left) * c + ch;
          let da = ((b * outH + oh) * outW + owFrom) * c + ch;
          for (let ow = owFrom; ow < owTo; ow++) {
            s += xs[xa] * dys[da];
            xa += xStep;
            da += c;
          }
        }
      }
      acc[accAt + ch] = s;
    }
  }
  return acc;
}

/** Any multiplier m: the plain loop in memory order, accumulating into the filter-sized array. */
function anyMultiplier(xs: Float32Array, dys: Float32Array, g: DepthwiseLoopGeometry): Float64Array {
  const { n, inH, inW, outH, outW, fh, fw, sh, sw, top, left, c, m } = g;
  const cm = c * m;
  const acc = new Float64Array(fh * fw * cm);
  for (let b = 0; b < n; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const dyRow = (b * outH + oh) * outW;
      const ih0 = oh * sh - top;
      const iFrom = Math.max(0, -ih0);
      const iTo = Math.min(fh, inH - ih0);
      for (let i = iFrom; i < iTo; i++) {
        const xRow = (b * inH + ih0 + i) * inW;
        for (let ow = 0; ow < outW; ow++) {
          const dyAt = (dyRow + ow) * cm;
          const iw0 = ow * sw - left;
          const jFrom = Math.max(0, -iw0);
          const jTo = Math.min(fw, inW - iw0);
          for (let j = jFrom; j < jTo; j++) {
            const xAt = (xRow + iw0 + j) * c;
            const accAt = (i * fw + j) * cm;
            for (let ch = 0; ch < c; ch++) {
              const xv = xs[xAt + ch];
              const base = accAt + ch * m;
              const dyBase = dyAt + ch * m;
              for (let k = 0; k < m; k++) acc[base + k] += xv * dys[dyBase + k];
            }
          }
        }
      }
    }
  }
  return acc;
}

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilter as unknown as KernelFunc,
};
