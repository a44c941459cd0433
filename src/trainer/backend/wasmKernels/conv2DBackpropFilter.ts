import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { cropNegative } from './convGeometry';
import { KernelCalls } from './kernelCalls';

/**
 * The filter gradient of a 2-D convolution, missing from the wasm backend:
 *   dW[i, j, ci, co] = sum over n, oh, ow of x[n, oh*s + i - padTop, ow*s + j - padLeft, ci] * dy[n, oh, ow, co].
 * That is a forward convolution (XNNPACK) of x with dy as its filter, dilated by the stride, after
 * swapping batch and channels: x as [Ci, H, W, N] ("batch" Ci, "channels" N), dy as
 * [OH, OW, N, Co]; the result [Ci, fh, fw, Co] is transposed to [fh, fw, Ci, Co].
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

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
