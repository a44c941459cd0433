import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { channelAffine } from './channelAffine';
import { KernelCalls } from './kernelCalls';
import { withFallback, type WasmKernelArgs } from './originals';

/**
 * Batch normalization (forward) with per-channel statistics as y = x * a + b, where
 * a = scale / sqrt(variance + eps) and b = offset - mean * a are computed here for the C channels,
 * and the full-size pass is one XNNPACK per-channel multiply-add (channelAffine). The wasm
 * backend's FusedBatchNorm is a scalar loop, 1.7-2.8x slower than even a broadcasting Multiply
 * and Add on a ResNet's activations. Statistics of any other shape (or non-float32 tensors) go to
 * the original kernel.
 */
function fusedBatchNorm(args: WasmKernelArgs): TensorInfo | null {
  const { x, mean, variance, offset, scale } = args.inputs as Record<string, TensorInfo | undefined>;
  const { varianceEpsilon } = args.attrs as unknown as tf.FusedBatchNormAttrs;
  if (!x || !mean || !variance || x.dtype !== 'float32' || x.shape.length === 0) return null;
  const c = x.shape[x.shape.length - 1];
  const perChannel = (t: TensorInfo | undefined) => t == null || (t.dtype === 'float32' && tf.util.sizeFromShape(t.shape) === c && t.shape[t.shape.length - 1] === c);
  if (![mean, variance, offset, scale].every(perChannel) || tf.util.sizeFromShape(x.shape) === 0) return null;
  const calls = new KernelCalls(args.backend);
  // Read the statistics before allocating: a growing heap invalidates views into it.
  const m = Float64Array.from(calls.values(mean));
  const v = calls.values(variance);
  const s = scale ? Float64Array.from(calls.values(scale)) : null;
  const o = offset ? Float64Array.from(calls.values(offset)) : null;
  const a = new Float32Array(c);
  const b = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    const ai = (s ? s[i] : 1) / Math.sqrt(v[i] + varianceEpsilon);
    a[i] = ai;
    b[i] = (o ? o[i] : 0) - m[i] * ai;
  }
  return calls.keep(channelAffine(calls, x, a, b));
}

export const fusedBatchNormConfig: KernelConfig = withFallback(tf.FusedBatchNorm, fusedBatchNorm);
