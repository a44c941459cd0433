import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { cropNegative, dilateSpatial } from './convGeometry';
import { KernelCalls } from './kernelCalls';

/**
 * The input gradient of a 2-D convolution. The wasm backend has one, but as a scalar loop
 * (2-3 GFLOP/s); this writes it as a forward XNNPACK convolution: the gradient, dilated by the
 * stride and padded by (filter - 1 - pad), convolved with the filter flipped in space and with
 * its in/out channels swapped.
 */
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
  const flipped = calls.transpose(calls.run(tf.Reverse, { x: filter }, { dims: [0, 1] }), [0, 1, 3, 2]);
  const spread = dilateSpatial(calls, dy, info.strideHeight, info.strideWidth);
  const top = info.filterHeight - 1 - info.padInfo.top;
  const left = info.filterWidth - 1 - info.padInfo.left;
  // Output size H = L + top + bottom - fh + 1, L the dilated gradient's size.
  const bottom = info.inHeight + info.filterHeight - 1 - spread.shape[1] - top;
  const right = info.inWidth + info.filterWidth - 1 - spread.shape[2] - left;
  const geo = cropNegative(calls, spread, top, bottom, left, right);
  const dx = calls.run(tf.Conv2D, { x: geo.x, filter: flipped }, {
    strides: [1, 1],
    pad: geo.pad,
    dataFormat: 'NHWC',
    dilations: [1, 1],
    dimRoundingMode: undefined,
  } as unknown as tf.NamedAttrMap);
  return calls.keep(dx);
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
