import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { withFallback } from './originals';

/**
 * Identity and same-dtype Cast without a copy. The engine clones every tensor it saves for the
 * backward pass (`saveTensorsForBackwardMode`), and tf.moments casts its input to float32; the
 * wasm backend's Identity and Cast copy the whole buffer each time (a training step of a small
 * ResNet made ~270 such copies). Tensors are immutable, so the output can share the input's
 * data with one more reference, as the cpu backend's Identity and every backend's Reshape do.
 */
function share(backend: tf.KernelBackend, x: TensorInfo): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
}

export const identityConfig: KernelConfig = withFallback(tf.Identity, ({ inputs, backend }) => {
  const x = inputs.x as TensorInfo;
  return x.dtype === 'string' ? null : share(backend, x);
});

interface WasmHeapBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): tf.TypedArray;
}

/**
 * Cast: same dtype shares the data; a numeric tensor to bool is `x != 0` (the wasm backend's
 * own Cast copies the bytes' values, so 2 became 2 and -1 became 255); the rest is the original.
 */
export const castConfig: KernelConfig = withFallback(tf.Cast, ({ inputs, backend, attrs }) => {
  const x = inputs.x as TensorInfo;
  const dtype = (attrs as unknown as tf.CastAttrs).dtype;
  if (x.dtype === 'string') return null;
  if (x.dtype === dtype) return share(backend, x);
  if (dtype !== 'bool') return null;
  const heap = backend as WasmHeapBackend;
  const out = heap.makeOutput(x.shape, 'bool');
  const src = heap.typedArrayFromHeap(x);
  const dst = heap.typedArrayFromHeap(out);
  for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 ? 1 : 0;
  return out;
});
