import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelCalls } from './kernelCalls';

/**
 * Pads (positive amounts) or crops (negative amounts) the two spatial axes of an NHWC tensor,
 * returning the tensor and the padding that is left to pass to a convolution as explicit padding.
 * Convolutions take only non-negative padding, so negative amounts are applied here as a slice.
 */
export function cropNegative(
  calls: KernelCalls,
  x: TensorInfo,
  top: number,
  bottom: number,
  left: number,
  right: number,
): { x: TensorInfo; pad: [[0, 0], [number, number], [number, number], [0, 0]] } {
  const [n, h, w, c] = x.shape;
  const cropTop = Math.max(0, -top);
  const cropBottom = Math.max(0, -bottom);
  const cropLeft = Math.max(0, -left);
  const cropRight = Math.max(0, -right);
  const cropped = calls.slice(x, [0, cropTop, cropLeft, 0], [n, h - cropTop - cropBottom, w - cropLeft - cropRight, c]);
  return {
    x: cropped,
    pad: [
      [0, 0],
      [Math.max(0, top), Math.max(0, bottom)],
      [Math.max(0, left), Math.max(0, right)],
      [0, 0],
    ],
  };
}

/** The geometry of a depthwise convolution for its backward kernels, which support dilation 1 only. */
export function depthwiseGeometry(
  kernel: string,
  inputShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: Pick<tf.DepthwiseConv2dNativeBackpropInputAttrs, 'strides' | 'dilations' | 'pad' | 'dimRoundingMode'>,
): tf.backend_util.Conv2DInfo {
  const info = tf.backend_util.computeConv2DInfo(inputShape, filterShape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, true);
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    throw new Error(`${kernel} on wasm supports dilation 1 only`);
  }
  return info;
}

/** The sizes a direct depthwise loop needs, read once from the geometry (NHWC, dilation 1). */
export interface DepthwiseLoopGeometry {
  n: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  fh: number;
  fw: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
  c: number;
  m: number;
}

export function depthwiseLoopGeometry(info: tf.backend_util.Conv2DInfo, filterShape: readonly number[]): DepthwiseLoopGeometry {
  return {
    n: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    outH: info.outHeight,
    outW: info.outWidth,
    fh: info.filterHeight,
    fw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
    c: info.inChannels,
    m: filterShape[3],
  };
}

/** One filter tap (i, j) and the output rows and columns [from, to) on which it reaches the input. */
export interface TapRange {
  i: number;
  j: number;
  ohFrom: number;
  ohTo: number;
  owFrom: number;
  owTo: number;
}

/**
 * The taps of a depthwise filter that reach the input, each with the output rows whose input row
 * oh*sh + i - top lies inside the input, and likewise columns: the loops of both backward kernels.
 */
export function tapRanges(g: DepthwiseLoopGeometry): TapRange[] {
  const taps: TapRange[] = [];
  for (let i = 0; i < g.fh; i++) {
    const ohFrom = Math.max(0, Math.ceil((g.top - i) / g.sh));
    const ohTo = Math.min(g.outH, Math.floor((g.inH - 1 + g.top - i) / g.sh) + 1);
    for (let j = 0; j < g.fw; j++) {
      const owFrom = Math.max(0, Math.ceil((g.left - j) / g.sw));
      const owTo = Math.min(g.outW, Math.floor((g.inW - 1 + g.left - j) / g.sw) + 1);
      if (ohFrom < ohTo && owFrom < owTo) taps.push({ i, j, ohFrom, ohTo, owFrom, owTo });
    }
  }
  return taps;
}
