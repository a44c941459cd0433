import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelCalls } from './kernelCalls';

/**
 * Spreads the spatial positions of an NHWC gradient `stride` apart (zeros between them), the
 * input of a backward convolution written as a forward one. Returns the dilated map and its
 * height and width ((size - 1) * stride + 1).
 */
export function dilateSpatial(calls: KernelCalls, dy: TensorInfo, strideH: number, strideW: number): TensorInfo {
  const [n, h, w, c] = dy.shape;
  if (strideH === 1 && strideW === 1) return dy;
  // [n, h, 1, w, 1, c] padded to [n, h, sH, w, sW, c] puts sH-1 / sW-1 zeros after each position.
  const spread = calls.pad(calls.reshape(dy, [n, h, 1, w, 1, c]), [
    [0, 0],
    [0, 0],
    [0, strideH - 1],
    [0, 0],
    [0, strideW - 1],
    [0, 0],
  ]);
  const full = calls.reshape(spread, [n, h * strideH, w * strideW, c]);
  // The trailing zeros after the last position are not part of the dilated map.
  return calls.slice(full, [0, 0, 0, 0], [n, (h - 1) * strideH + 1, (w - 1) * strideW + 1, c]);
}

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
