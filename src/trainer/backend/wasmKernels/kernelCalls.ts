import * as tf from '@tensorflow/tfjs-core';
import type { DataType, KernelBackend, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * The supplied wasm kernels are compositions of kernels the wasm backend already has. They call
 * those kernels' functions directly (not through tf ops) so that no tape, scope or tensor objects
 * are made inside a kernel; this class remembers every intermediate and frees all but the result.
 */
export class KernelCalls {
  private readonly made: TensorInfo[] = [];

  constructor(readonly backend: KernelBackend) {}

  run(kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    const kernel = tf.getKernel(kernelName, 'wasm');
    if (!kernel) throw new Error(`the wasm backend has no ${kernelName} kernel`);
    const out = kernel.kernelFunc({ inputs, backend: this.backend, attrs });
    const info = Array.isArray(out) ? out[0] : out;
    this.made.push(info);
    return info;
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run(tf.Reshape, { x }, { shape });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run(tf.Transpose, { x }, { perm });
  }

  pad(x: TensorInfo, paddings: [number, number][]): TensorInfo {
    if (paddings.every(([a, b]) => a === 0 && b === 0)) return x;
    return this.run(tf.PadV2, { x }, { paddings, constantValue: 0 });
  }

  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    if (size.every((s, i) => s === x.shape[i])) return x;
    return this.run(tf.Slice, { x }, { begin, size });
  }

  /** A tensor owned by these calls, filled with `value`. */
  fill(shape: number[], value: number, dtype: DataType = 'float32'): TensorInfo {
    return this.run(tf.Fill, {}, { shape, value, dtype });
  }

  /** A new, uninitialised tensor in the wasm heap and a view of its values. */
  output(shape: number[], dtype: DataType = 'float32'): { info: TensorInfo; values: tf.TypedArray } {
    const backend = this.backend as tf.KernelBackend & {
      makeOutput(shape: number[], dtype: DataType): TensorInfo;
      typedArrayFromHeap(info: TensorInfo): tf.TypedArray;
    };
    const info = backend.makeOutput(shape, dtype);
    this.made.push(info);
    return { info, values: backend.typedArrayFromHeap(info) };
  }

  /** The values of a tensor in the wasm heap (valid until the next allocation grows the heap). */
  values(info: TensorInfo): tf.TypedArray {
    return (this.backend as tf.KernelBackend & { typedArrayFromHeap(info: TensorInfo): tf.TypedArray }).typedArrayFromHeap(info);
  }

  /** Frees every intermediate except `result`, which the caller (the engine) then owns. */
  keep(result: TensorInfo): TensorInfo {
    return this.keepAll([result])[0];
  }

  /** As keep, for a kernel with several outputs. */
  keepAll(results: TensorInfo[]): TensorInfo[] {
    for (const info of this.made) if (!results.includes(info)) this.backend.disposeData(info.dataId);
    this.made.length = 0;
    return results;
  }
}
