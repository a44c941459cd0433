import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { depthwiseGeometry } from './convGeometry';
import { KernelCalls } from './kernelCalls';

/**
 * The filter gradient of a depthwise convolution, missing from the wasm backend:
 *   dW[i, j, c, k] = sum over n, oh, ow of x[n, oh*s + i - padTop, ow*s + j - padLeft, c] * dy[n, oh, ow, c*m + k].
 * Channels stay separate, so this is no single convolution; for each filter tap (i, j) it takes
 * the strided window of the padded input, multiplies it with dy, and sums over all positions with
 * a matrix product by a row of ones (a reduction over the leading axis that XNNPACK does fast,
 * where the Sum kernel would first transpose).
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
  const calls = new KernelCalls(backend);
  const [fh, fw, c, m] = filterShape;
  const [n, oh, ow] = dy.shape;
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const positions = n * oh * ow;
  const { top, left } = info.padInfo;
  const bottom = Math.max(0, (oh - 1) * sh + fh - info.inHeight - top);
  const right = Math.max(0, (ow - 1) * sw + fw - info.inWidth - left);
  const padded = calls.pad(x, [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ]);
  const ones = calls.fill([1, 1, positions], 1);
  const dyRows = calls.reshape(dy, m === 1 ? [positions, c] : [positions, c, m]);
  const taps: TensorInfo[] = [];
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      const window = calls.run(tf.StridedSlice, { x: padded }, {
        begin: [0, i, j, 0],
        end: [n, i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1, c],
        strides: [1, sh, sw, 1],
        beginMask: 0,
        endMask: 0,
        ellipsisMask: 0,
        newAxisMask: 0,
        shrinkAxisMask: 0,
      });
      const rows = calls.reshape(window, m === 1 ? [positions, c] : [positions, c, 1]);
      const product = calls.run(tf.Multiply, { a: rows, b: dyRows });
      const summed = calls.run(tf.BatchMatMul, { a: ones, b: calls.reshape(product, [1, positions, c * m]) }, {
        transposeA: false,
        transposeB: false,
      });
      taps.push(calls.reshape(summed, [1, c * m]));
    }
  }
  const all = taps.length === 1 ? taps[0] : calls.run(tf.Concat, taps as unknown as tf.NamedTensorInfoMap, { axis: 0 });
  return calls.keep(calls.reshape(all, [fh, fw, c, m]));
}

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilter as unknown as KernelFunc,
};
