import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelCalls } from './kernelCalls';
import { KernelCalls as Calls } from './kernelCalls';
import { withFallback, type WasmKernelArgs } from './originals';

/**
 * y = x * scale[c] + bias[c] over the last axis (channels) of a float32 tensor, as one XNNPACK
 * pass: a 1x1 depthwise convolution with bias of x viewed as [1, 1, M, C] (XNNPACK runs it as a
 * per-channel multiply-add). The same computation as broadcasting Multiply then Add, which read
 * and write the whole tensor twice: on [64,28,28,16] 0.9 ms against 2.1 ms, with equal values.
 * `scale` is a [C] tensor or numbers; null scale means 1, null bias means 0.
 */
export function channelAffine(calls: KernelCalls, x: TensorInfo, scale: TensorInfo | Float32Array | null, bias: Float32Array | null): TensorInfo {
  const c = x.shape[x.shape.length - 1];
  const m = tf.util.sizeFromShape(x.shape) / c;
  const vector = (values: Float32Array): TensorInfo => {
    const t = calls.output([c]);
    t.values.set(values);
    return t.info;
  };
  const scaleInfo = scale == null ? vector(new Float32Array(c).fill(1)) : scale instanceof Float32Array ? vector(scale) : scale;
  const biasInfo = bias == null ? null : vector(bias);
  const filter = calls.reshape(scaleInfo, [1, 1, c, 1]);
  const inputs: tf.NamedTensorInfoMap = { x: calls.reshape(x, [1, 1, m, c]), filter };
  if (biasInfo) inputs.bias = biasInfo;
  const out = calls.run(tf.FusedDepthwiseConv2D, inputs, {
    strides: [1, 1],
    pad: 'valid',
    dilations: [1, 1],
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
    activation: 'linear',
  } as unknown as tf.NamedAttrMap);
  return calls.reshape(out, x.shape);
}

/** Whether `v` is a float32 per-channel vector of `x` ([C] or [1,...,1,C], C = x's last axis). */
function perChannelOf(x: TensorInfo, v: TensorInfo): boolean {
  if (x.dtype !== 'float32' || v.dtype !== 'float32' || x.shape.length === 0 || v.shape.length === 0) return false;
  const c = x.shape[x.shape.length - 1];
  if (v.shape.length > x.shape.length || v.shape[v.shape.length - 1] !== c) return false;
  // x must be at least as large as the vector on every axis, so the result has x's shape.
  return tf.util.sizeFromShape(v.shape) === c && tf.util.sizeFromShape(x.shape) > c && c > 0;
}

/**
 * Below this many elements the original broadcasting kernels are as fast or faster (creating the
 * XNNPACK operator costs ~0.1 ms). Measured, kernel alone: [64,28,28,16] 0.9 -> 0.4 ms,
 * [64,14,14,32] 0.32 -> 0.28 ms, [64,7,7,64] 0.15 -> 0.21 ms.
 */
export const MIN_BROADCAST_ELEMENTS = 300_000;

/**
 * Broadcasting Multiply, Add and Sub of a large tensor and a per-channel vector (batch norm's
 * x - mean, its gradient's dy * gamma/sigma, ...) as channelAffine; every other case goes to the
 * original.
 */
function binary(kind: 'mul' | 'add' | 'sub') {
  return (args: WasmKernelArgs): TensorInfo | null => {
    const a = args.inputs.a as TensorInfo;
    const b = args.inputs.b as TensorInfo;
    const [x, v, vectorFirst] = perChannelOf(a, b) ? [a, b, false] : perChannelOf(b, a) ? [b, a, true] : [null, null, false];
    if (!x || !v || tf.util.sizeFromShape(x.shape) < MIN_BROADCAST_ELEMENTS) return null;
    const calls = new Calls(args.backend);
    const out = (() => {
      if (kind === 'mul') return channelAffine(calls, x, v, null);
      const values = Float32Array.from(calls.values(v));
      if (kind === 'add') return channelAffine(calls, x, null, values);
      // x - v = x * 1 + (-v); v - x = x * -1 + v.
      if (!vectorFirst) return channelAffine(calls, x, null, values.map((e) => -e));
      return channelAffine(calls, x, new Float32Array(values.length).fill(-1), values);
    })();
    return calls.keep(out);
  };
}

export const multiplyConfig: KernelConfig = withFallback(tf.Multiply, binary('mul'));
export const addConfig: KernelConfig = withFallback(tf.Add, binary('add'));
export const subConfig: KernelConfig = withFallback(tf.Sub, binary('sub'));
