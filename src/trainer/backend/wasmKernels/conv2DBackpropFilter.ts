import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { cropNegative } from './convGeometry';
import { KernelCalls } from './kernelCalls';
import { heapOffsetOf, simdKernelsOf } from './simd/simdKernels';

/**
 * The filter gradient of a 2-D convolution, missing from the wasm backend:
 *   dW[i, j, ci, co] = sum over n, oh, ow of x[n, oh*s + i - padTop, ow*s + j - padLeft, ci] * dy[n, oh, ow, co].
 * SKD Lab's SIMD128 kernel (simd/kernels.wat) computes it directly: a product of the filter's
 * rows (tap, input channel) and the output channels, summed over every output pixel, in tiles of
 * 4 rows x 8 channels held in registers, on the input zero-padded once so that every tap is
 * inside. Where that kernel cannot run (no SIMD128 in the runtime), a forward convolution
 * (XNNPACK) of x with dy as its filter, dilated by the stride, after swapping batch and channels:
 * x as [Ci, H, W, N] ("batch" Ci, "channels" N), dy as [OH, OW, N, Co]; the result
 * [Ci, fh, fw, Co] is transposed to [fh, fw, Ci, Co]. That route took 5.2 ms of the default
 * student's step and 29.6 of the teacher's, the SIMD kernel 2.8 and 16.4 (`skd bench --profile`).
 */
function conv2DBackpropFilter(args: { inputs: tf.Conv2DBackpropFilterInputs; backend: tf.KernelBackend; attrs: tf.Conv2DBackpropFilterAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
  if (info.dataFormat !== 'channelsLast') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
  const calls = new KernelCalls(backend);
  const direct = simdFilterGrad(calls, x, dy, info);
  if (direct) return calls.keep(direct);
  const [fh, fw] = [info.filterHeight, info.filterWidth];
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const { top, left } = info.padInfo;
  // Output size fh = H + top + bottom - ((OH-1)*sh + 1) + 1; rows past the last window are cropped.
  const bottom = fh + (info.outHeight - 1) * sh - info.inHeight - top;
  const right = fw + (info.outWidth - 1) * sw - info.inWidth - left;
  const xT = calls.transpose(x, [3, 1, 2, 0]);
  const dyT = calls.transpose(dy, [1, 2, 0, 3]);
  const geo = cropNegative(calls, xT, top, bottom, left, right);
  const conv = calls.run(tf.Conv2D, { x: geo.x, filter: dyT }, {
    strides: [1, 1],
    pad: geo.pad,
    dataFormat: 'NHWC',
    dilations: [sh, sw],
    dimRoundingMode: undefined,
  } as unknown as tf.NamedAttrMap);
  return calls.keep(calls.transpose(conv, [1, 2, 0, 3]));
}

/** Bytes the SIMD kernel may read past dy's end: up to 7 lanes of its last 8-channel tile. */
const DY_OVERREAD_BYTES = 32;

/** The filter gradient by the SIMD kernel, or null where it cannot run (the caller's other route). */
function simdFilterGrad(calls: KernelCalls, x: TensorInfo, dy: TensorInfo, info: tf.backend_util.Conv2DInfo): TensorInfo | null {
  const simd = simdKernelsOf(calls.backend);
  if (!simd || x.dtype !== 'float32' || dy.dtype !== 'float32') return null;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = info;
  const [fh, fw] = [info.filterHeight, info.filterWidth];
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  if (n * oh * ow * ci * co === 0) return null;
  const dyEnd = heapOffsetOf(calls.backend, dy) + n * oh * ow * co * 4;
  if (dyEnd + DY_OVERREAD_BYTES > simd.memory.buffer.byteLength) return null;
  // Zero-pad so that every tap of every window is inside; rows and columns past the last window
  // are never read, so negative amounts need no crop.
  const { top, left } = info.padInfo;
  const bottom = Math.max(0, (oh - 1) * sh + fh - top - h);
  const right = Math.max(0, (ow - 1) * sw + fw - left - w);
  const xp = calls.pad(x, [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ]);
  const [hp, wp] = [xp.shape[1], xp.shape[2]];
  const rows = fh * fw * ci;
  const rowBlocks = Math.ceil(rows / 4);
  const colPairs = Math.ceil(co / 8);
  const padded = colPairs * 8;
  const offsets = calls.output([rowBlocks * 4], 'int32');
  const tiles = calls.output([rowBlocks * 4 * padded]);
  const result = calls.output([fh, fw, ci, co]);
  // Views after the last allocation (one may grow the heap and detach earlier views).
  const offs = calls.values(offsets.info) as Int32Array;
  for (let r = 0; r < rowBlocks * 4; r++) {
    // Row r of dW is tap (i, j), channel c, in dW's own order; the rows that fill the last tile repeat the last row.
    const q = Math.min(r, rows - 1);
    const [i, j, c] = [Math.floor(q / (fw * ci)), Math.floor(q / ci) % fw, q % ci];
    offs[r] = ((i * wp + j) * ci + c) * 4;
  }
  (calls.values(tiles.info) as Float32Array).fill(0);
  const heap = (t: TensorInfo) => heapOffsetOf(calls.backend, t);
  simd.convFilterGrad(heap(xp), heap(dy), heap(tiles.info), heap(offsets.info), n, hp, wp, ci, oh, ow, co, sh, sw, rowBlocks, colPairs);
  const from = calls.values(tiles.info) as Float32Array;
  const to = calls.values(result.info) as Float32Array;
  for (let r = 0; r < rows; r++) to.set(from.subarray(r * padded, r * padded + co), r * co);
  return result.info;
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
