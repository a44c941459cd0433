import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { cropNegative, depthwiseGeometry, dilateSpatial } from './convGeometry';
import { KernelCalls } from './kernelCalls';

/**
 * The input gradient of a depthwise convolution, missing from the wasm backend. With channel
 * multiplier m the gradient has C*m channels; a depthwise convolution (multiplier 1) of the
 * stride-dilated gradient with the spatially flipped filter, seen as [fh, fw, C*m, 1], gives each
 * of the C*m contributions, and summing the m of each input channel gives dx.
 */
function depthwiseBackpropInput(args: {
  inputs: tf.DepthwiseConv2dNativeBackpropInputInputs;
  backend: tf.KernelBackend;
  attrs: tf.DepthwiseConv2dNativeBackpropInputAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const dy = inputs.dy as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const info = depthwiseGeometry('DepthwiseConv2dNativeBackpropInput', attrs.inputShape, filter.shape as [number, number, number, number], attrs);
  const calls = new KernelCalls(backend);
  const [fh, fw, c, m] = filter.shape;
  const flipped = calls.reshape(calls.run(tf.Reverse, { x: filter }, { dims: [0, 1] }), [fh, fw, c * m, 1]);
  const spread = dilateSpatial(calls, dy, info.strideHeight, info.strideWidth);
  const top = fh - 1 - info.padInfo.top;
  const left = fw - 1 - info.padInfo.left;
  const bottom = info.inHeight + fh - 1 - spread.shape[1] - top;
  const right = info.inWidth + fw - 1 - spread.shape[2] - left;
  const geo = cropNegative(calls, spread, top, bottom, left, right);
  const parts = calls.run(tf.DepthwiseConv2dNative, { x: geo.x, filter: flipped }, {
    strides: [1, 1],
    pad: geo.pad,
    dilations: [1, 1],
    dimRoundingMode: undefined,
  } as unknown as tf.NamedAttrMap);
  if (m === 1) return calls.keep(parts);
  const [n, h, w] = parts.shape;
  const dx = calls.run(tf.Sum, { x: calls.reshape(parts, [n, h, w, c, m]) }, { axis: [4], keepDims: false });
  return calls.keep(dx);
}

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropInput as unknown as KernelFunc,
};
