import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { KernelCalls } from './kernelCalls';
import { heapOffsetOf, simdKernelsOf, type SimdKernels } from './simd/simdKernels';

/**
 * Batch norm's training step over the last axis as two kernels of SKD Lab's own (wasm only):
 *   SkdBatchNormTraining(x, scale, offset) -> [y, mean, variance]
 *     mean and variance (biased, as tf.moments) over every axis but the last, and
 *     y = (x - mean) / sqrt(variance + eps) * scale + offset;
 *   SkdBatchNormTrainingGrad(dy, x, scale, mean, variance) -> [dx, dscale, doffset], with
 *     xc = x - mean, r = 1/sqrt(variance + eps), M the elements per channel:
 *     dx = scale*r * (dy - sum(dy)/M - xc * r^2 * sum(dy*xc)/M),  dscale = r*sum(dy*xc),  doffset = sum(dy).
 * That is the gradient through the batch's own statistics in closed form. The layers API instead
 * composes tf.moments (Mean, Sub, Square, Mean) with FusedBatchNorm, and its backward pass walks
 * back through each: some fifteen full-size passes a layer where these make five (two sums and
 * the normalisation forward, one sum of two products and the input gradient backward), each a
 * SIMD loop of kernels.wat. The statistics outputs carry no gradient: they feed only the moving
 * averages.
 */
export const BATCH_NORM_TRAINING = 'SkdBatchNormTraining';
export const BATCH_NORM_TRAINING_GRAD = 'SkdBatchNormTrainingGrad';

export interface BatchNormTrainingAttrs {
  varianceEpsilon: number;
}

/** x, flat, as `chunks` rows of `lanes` = lcm(C, 4) floats (lane l is channel l mod C) and a partial last row. */
interface Rows {
  c: number;
  m: number;
  lanes: number;
  chunks: number;
  /** Where the partial row starts (elements); its element i is channel i mod C. */
  tailFrom: number;
  size: number;
}

function rowsOf(x: TensorInfo): Rows {
  const c = x.shape[x.shape.length - 1];
  const size = tf.util.sizeFromShape(x.shape);
  const lanes = c % 4 === 0 ? c : c % 2 === 0 ? 2 * c : 4 * c;
  const chunks = Math.floor(size / lanes);
  return { c, m: size / c, lanes, chunks, tailFrom: chunks * lanes, size };
}

/** Per-channel totals of `lanes` lane sums, in float64. */
function fold(acc: Float32Array, c: number): Float64Array {
  const out = new Float64Array(c);
  for (let l = 0; l < acc.length; l++) out[l % c] += acc[l];
  return out;
}

/** Writes a per-channel vector into `lanes` lanes. */
function spread(values: ArrayLike<number>, target: Float32Array): void {
  for (let l = 0; l < target.length; l++) target[l] = values[l % values.length];
}

/**
 * Both kernels' outputs (one like x, two per-channel) and `count` scratch rows of lanes in the
 * heap: `at(k)` is row k's address for the SIMD loops, `lane(k)` a view of it (taken anew: an
 * allocation may have moved the heap's buffer).
 */
function setUp(backend: KernelBackend, x: TensorInfo, count: number) {
  const simd: SimdKernels | null = simdKernelsOf(backend);
  if (!simd) throw new Error(`${BATCH_NORM_TRAINING} needs WebAssembly SIMD128 (check batchNormTrainingAvailable first)`);
  const calls = new KernelCalls(backend);
  const rows = rowsOf(x);
  const outputs = [calls.output(x.shape), calls.output([rows.c]), calls.output([rows.c])];
  const scratch = calls.output([count * rows.lanes]);
  const at = (k: number) => heapOffsetOf(backend, scratch.info) + k * rows.lanes * 4;
  const lane = (k: number) => (calls.values(scratch.info) as Float32Array).subarray(k * rows.lanes, (k + 1) * rows.lanes);
  return { simd, calls, rows, outputs, at, lane };
}

function batchNormTraining(args: { inputs: tf.NamedTensorInfoMap; backend: KernelBackend; attrs: BatchNormTrainingAttrs }): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as TensorInfo;
  const { simd, calls, rows, outputs, at, lane } = setUp(backend, x, 5);
  const { c, m, lanes, chunks, tailFrom, size } = rows;
  // Scratch lanes: 0 sums, 1 centre (the mean), 2 a (scale * r), 3 zeros, 4 b (offset - mean * a).
  const [y, mean, variance] = outputs;
  const xs = () => calls.values(x) as Float32Array;
  const xPtr = heapOffsetOf(backend, x);

  lane(0).fill(0);
  simd.laneSums(xPtr, chunks, lanes, at(0));
  const mu = fold(lane(0), c);
  for (let i = tailFrom; i < size; i++) mu[i % c] += xs()[i];
  for (let k = 0; k < c; k++) mu[k] /= m;

  spread(mu, lane(1));
  lane(0).fill(0);
  simd.laneCenteredSquares(xPtr, at(1), chunks, lanes, at(0));
  const v = fold(lane(0), c);
  for (let i = tailFrom; i < size; i++) v[i % c] += (xs()[i] - mu[i % c]) ** 2;
  for (let k = 0; k < c; k++) v[k] /= m;

  const scale = calls.values(inputs.scale as TensorInfo) as Float32Array;
  const offset = calls.values(inputs.offset as TensorInfo) as Float32Array;
  const a = new Float64Array(c);
  const b = new Float64Array(c);
  for (let k = 0; k < c; k++) {
    a[k] = scale[k] / Math.sqrt(v[k] + attrs.varianceEpsilon);
    b[k] = offset[k] - mu[k] * a[k];
  }
  spread(a, lane(2));
  lane(3).fill(0);
  spread(b, lane(4));
  simd.laneAffine2(xPtr, xPtr, at(2), at(3), at(4), heapOffsetOf(backend, y.info), chunks, lanes);
  const ys = calls.values(y.info) as Float32Array;
  for (let i = tailFrom; i < size; i++) ys[i] = xs()[i] * a[i % c] + b[i % c];
  (calls.values(mean.info) as Float32Array).set(mu);
  (calls.values(variance.info) as Float32Array).set(v);
  return calls.keepAll([y.info, mean.info, variance.info]);
}

function batchNormTrainingGrad(args: { inputs: tf.NamedTensorInfoMap; backend: KernelBackend; attrs: BatchNormTrainingAttrs }): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const dy = inputs.dy as TensorInfo;
  const x = inputs.x as TensorInfo;
  const { simd, calls, rows, outputs, at, lane } = setUp(backend, x, 6);
  const { c, m, lanes, chunks, tailFrom, size } = rows;
  // Scratch lanes: 0 sum(dy), 1 sum(dy * xc), 2 centre (the mean), 3-5 A, B, C of dx = dy*A + x*B + C.
  const [dx, dscale, doffset] = outputs;
  const [dyPtr, xPtr] = [heapOffsetOf(backend, dy), heapOffsetOf(backend, x)];
  const mu = Float64Array.from(calls.values(inputs.mean as TensorInfo) as Float32Array);
  const v = calls.values(inputs.variance as TensorInfo) as Float32Array;
  const scale = calls.values(inputs.scale as TensorInfo) as Float32Array;

  lane(0).fill(0);
  lane(1).fill(0);
  spread(mu, lane(2));
  simd.laneGradientSums(dyPtr, xPtr, at(2), chunks, lanes, at(0), at(1));
  const sumDy = fold(lane(0), c);
  const sumDyXc = fold(lane(1), c);
  const [dys, xs] = [calls.values(dy) as Float32Array, calls.values(x) as Float32Array];
  for (let i = tailFrom; i < size; i++) {
    sumDy[i % c] += dys[i];
    sumDyXc[i % c] += dys[i] * (xs[i] - mu[i % c]);
  }
  const A = new Float64Array(c);
  const B = new Float64Array(c);
  const C = new Float64Array(c);
  const ds = calls.values(dscale.info) as Float32Array;
  const dof = calls.values(doffset.info) as Float32Array;
  for (let k = 0; k < c; k++) {
    const r = 1 / Math.sqrt(v[k] + attrs.varianceEpsilon);
    A[k] = scale[k] * r;
    B[k] = (-A[k] * r * r * sumDyXc[k]) / m;
    C[k] = (-A[k] * sumDy[k]) / m - B[k] * mu[k];
    ds[k] = r * sumDyXc[k];
    dof[k] = sumDy[k];
  }
  spread(A, lane(3));
  spread(B, lane(4));
  spread(C, lane(5));
  simd.laneAffine2(dyPtr, xPtr, at(3), at(4), at(5), heapOffsetOf(backend, dx.info), chunks, lanes);
  const out = calls.values(dx.info) as Float32Array;
  for (let i = tailFrom; i < size; i++) out[i] = dys[i] * A[i % c] + xs[i] * B[i % c] + C[i % c];
  return calls.keepAll([dx.info, dscale.info, doffset.info]);
}

export const batchNormTrainingConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAINING,
  backendName: 'wasm',
  kernelFunc: batchNormTraining as unknown as KernelFunc,
};

export const batchNormTrainingGradConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAINING_GRAD,
  backendName: 'wasm',
  kernelFunc: batchNormTrainingGrad as unknown as KernelFunc,
};

/** Whether the active backend runs these kernels (wasm with SIMD128; registered by registerWasmTrainingKernels). */
export function batchNormTrainingAvailable(): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(BATCH_NORM_TRAINING, 'wasm') != null && simdKernelsOf(tf.backend()) != null;
}
