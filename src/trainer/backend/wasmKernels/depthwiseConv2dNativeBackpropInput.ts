import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { cropNegative, depthwiseGeometry, depthwiseLoopGeometry } from './convGeometry';
import { depthwiseBackpropInputLoop } from './depthwiseBackpropInputLoop';
import { KernelCalls } from './kernelCalls';

/**
 * The input gradient of a depthwise convolution, missing from the wasm backend.
 *
 * Stride > 1: a direct loop in JavaScript (depthwiseBackpropInputLoop.ts). The forward form
 * below would first spread dy s apart (a 6-D pad and a slice, then 4x the multiply-adds, most of
 * them on zeros): on MobileNet's [64,28,28,8] stride-2 layer 4.6 ms, against 1.3-1.9 ms.
 *
 * Stride 1: XNNPACK's depthwise forward convolution, faster than the loop there (1.8 against
 * 5.5 ms on [64,28,28,8]). With channel multiplier m the gradient has C*m channels; a depthwise
 * convolution (multiplier 1) of the padded gradient with the spatially flipped filter, seen as
 * [fh, fw, C*m, 1], gives each of the C*m contributions, and summing the m of each input channel
 * gives dx.
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
  if (info.strideHeight > 1 || info.strideWidth > 1) {
    // Allocate first: a new allocation may grow the heap and detach earlier views.
    const out = calls.output([...attrs.inputShape]);
    const g = depthwiseLoopGeometry(info, filter.shape);
    depthwiseBackpropInputLoop(calls.values(dy) as Float32Array, calls.values(filter) as Float32Array, out.values as Float32Array, g);
    return calls.keep(out.info);
  }
  const [fh, fw, c, m] = filter.shape;
  const flipped = calls.reshape(calls.run(tf.Reverse, { x: filter }, { dims: [0, 1] }), [fh, fw, c * m, 1]);
  const spread = dy;
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
