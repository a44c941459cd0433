import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

interface WasmHeapBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): tf.TypedArray;
}

/**
 * Tile as block copies in the wasm heap. The wasm backend's Tile computes an index per element
 * and took tens of milliseconds per activation; tf.js's batch-norm gradient tiles a [1,1,1,C]
 * vector to the activation's shape on every step. Here each axis, innermost first, writes its
 * block once and then repeats it with `copyWithin` (a memmove), so the cost is that of the copy.
 */
function tile(args: { inputs: tf.TileInputs; backend: tf.KernelBackend; attrs: tf.TileAttrs }): TensorInfo {
  const backend = args.backend as WasmHeapBackend;
  const x = args.inputs.x as TensorInfo;
  const reps = args.attrs.reps;
  if (x.dtype === 'string') throw new Error('Tile on wasm: string tensors are not supported');
  const rank = x.shape.length;
  const outShape = x.shape.map((s, i) => s * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  if (tf.util.sizeFromShape(outShape) === 0) return out;
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  if (rank === 0) {
    dst[0] = src[0];
    return out;
  }
  // Element strides of each axis in x and in the output.
  const xStride = new Array<number>(rank);
  const outStride = new Array<number>(rank);
  xStride[rank - 1] = 1;
  outStride[rank - 1] = 1;
  for (let a = rank - 2; a >= 0; a--) {
    xStride[a] = xStride[a + 1] * x.shape[a + 1];
    outStride[a] = outStride[a + 1] * outShape[a + 1];
  }
  // Axes from `contiguousFrom` on are not repeated: their block is a straight copy of x.
  let contiguousFrom = rank;
  while (contiguousFrom > 0 && reps[contiguousFrom - 1] === 1) contiguousFrom--;
  const fill = (axis: number, xOff: number, outOff: number): void => {
    if (axis === contiguousFrom) {
      const len = axis === 0 ? src.length : xStride[axis - 1];
      dst.set(src.subarray(xOff, xOff + len), outOff);
      return;
    }
    for (let k = 0; k < x.shape[axis]; k++) fill(axis + 1, xOff + k * xStride[axis], outOff + k * outStride[axis]);
    // The first copy of this axis is written; repeat it reps-1 times.
    const block = x.shape[axis] * outStride[axis];
    for (let r = 1; r < reps[axis]; r++) dst.copyWithin(outOff + r * block, outOff, outOff + block);
  };
  fill(0, 0, 0);
  return out;
}

export const tileConfig: KernelConfig = {
  kernelName: tf.Tile,
  backendName: 'wasm',
  kernelFunc: tile as unknown as KernelFunc,
};
