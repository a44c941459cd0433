import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { cropNegative } from './convGeometry';
import { KernelCalls } from './kernelCalls';

/**
 * The input gradient of a 2-D convolution. The wasm backend has one, but as a scalar loop
 * (2-3 GFLOP/s); this writes it with forward XNNPACK convolutions.
 *
 * Stride 1: a convolution of the gradient, padded by (filter - 1 - pad), with the filter flipped
 * in space and its in/out channels swapped.
 * Stride s > 1: the same, on the gradient dilated by s, would multiply mostly zeros (4x the work
 * at stride 2). Instead each output phase (h mod s, w mod s) is its own stride-1 convolution of
 * the undilated gradient with the taps of the flipped filter that land on that phase (taps
 * u0, u0+s, ...), and the s*s phase maps are interleaved into dx.
 */

interface AxisPhase {
  /** First tap of the flipped filter on this phase, and how many taps (0: the phase gets nothing). */
  firstTap: number;
  taps: number;
  /** Explicit padding before/after the gradient for this phase's stride-1 convolution. */
  before: number;
  after: number;
}

/**
 * One axis of the polyphase decomposition. In the dilated form dx[h] = sum_u D[h + u] * Wf[u],
 * D the gradient spread s apart after P = filter-1-pad leading zeros. For h = q*s + r only taps
 * u = u0 + s*k with u0 = (P - r) mod s hit a non-zero of D, namely dy[q + k + (r + u0 - P)/s].
 */
function axisPhase(r: number, stride: number, filter: number, padBefore: number, gradLen: number, phaseLen: number): AxisPhase {
  const p = filter - 1 - padBefore;
  const firstTap = (((p - r) % stride) + stride) % stride;
  const taps = firstTap <= filter - 1 ? Math.floor((filter - 1 - firstTap) / stride) + 1 : 0;
  const offset = (r + firstTap - p) / stride;
  const before = -offset;
  return { firstTap, taps, before, after: phaseLen - gradLen - before + taps - 1 };
}

function conv2DBackpropInput(args: { inputs: tf.Conv2DBackpropInputInputs; backend: tf.KernelBackend; attrs: tf.Conv2DBackpropInputAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const dy = inputs.dy as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
  if (info.dataFormat !== 'channelsLast') throw new Error('Conv2DBackpropInput on wasm supports NHWC only');
  const calls = new KernelCalls(backend);
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [n, h, w, ci] = [info.batchSize, info.inHeight, info.inWidth, info.inChannels];
  const flipped = calls.transpose(calls.run(tf.Reverse, { x: filter }, { dims: [0, 1] }), [0, 1, 3, 2]);
  // Output length of every phase; phases that reach past the input are cropped when interleaving.
  const [qh, qw] = [Math.ceil(h / sh), Math.ceil(w / sw)];
  const phases: (TensorInfo | null)[][] = [];
  for (let r = 0; r < sh; r++) {
    const row: (TensorInfo | null)[] = [];
    const ph = axisPhase(r, sh, info.filterHeight, info.padInfo.top, info.outHeight, qh);
    for (let c = 0; c < sw; c++) {
      const pw = axisPhase(c, sw, info.filterWidth, info.padInfo.left, info.outWidth, qw);
      if (ph.taps === 0 || pw.taps === 0) {
        row.push(null);
        continue;
      }
      const taps =
        sh === 1 && sw === 1
          ? flipped
          : calls.run(tf.StridedSlice, { x: flipped }, {
              begin: [ph.firstTap, pw.firstTap, 0, 0],
              end: [info.filterHeight, info.filterWidth, info.outChannels, ci],
              strides: [sh, sw, 1, 1],
              beginMask: 0,
              endMask: 0,
              ellipsisMask: 0,
              newAxisMask: 0,
              shrinkAxisMask: 0,
            });
      const geo = cropNegative(calls, dy, ph.before, ph.after, pw.before, pw.after);
      row.push(
        calls.run(tf.Conv2D, { x: geo.x, filter: taps }, {
          strides: [1, 1],
          pad: geo.pad,
          dataFormat: 'NHWC',
          dilations: [1, 1],
          dimRoundingMode: undefined,
        } as unknown as tf.NamedAttrMap),
      );
    }
    phases.push(row);
  }
  if (sh === 1 && sw === 1 && phases[0][0]) return calls.keep(phases[0][0]);
  return calls.keep(interleave(calls, phases, [n, h, w, ci], qh, qw));
}

/** dx[n, q*sh + r, p*sw + c, :] = phase[r][c][n, q, p, :]; a missing phase contributes zeros. */
function interleave(calls: KernelCalls, phases: (TensorInfo | null)[][], shape: number[], qh: number, qw: number): TensorInfo {
  const [n, h, w, ci] = shape;
  const [sh, sw] = [phases.length, phases[0].length];
  const out = calls.output(shape);
  const dst = out.values;
  if (phases.some((row) => row.some((p) => p === null))) dst.fill(0);
  for (let r = 0; r < sh; r++) {
    for (let c = 0; c < sw; c++) {
      const phase = phases[r][c];
      if (!phase) continue;
      const src = calls.values(phase);
      for (let b = 0; b < n; b++) {
        for (let q = 0, y = r; q < qh && y < h; q++, y += sh) {
          let from = ((b * qh + q) * qw) * ci;
          for (let p = 0, x = c; p < qw && x < w; p++, x += sw) {
            const to = ((b * h + y) * w + x) * ci;
            for (let k = 0; k < ci; k++) dst[to + k] = src[from + k];
            from += ci;
          }
        }
      }
    }
  }
  return out.info;
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
