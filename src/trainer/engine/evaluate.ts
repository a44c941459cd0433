import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { LoadedDataset, Split } from '../data/types';
import { toFloatBatch } from '../data/batches';

export const EVAL_BATCH = 256;

export interface Outputs {
  /** [n * classes] logits, row-major. */
  logits: Float32Array;
  /** Per tap: [n * channels] channel-wise global-average-pooled features (behaviour descriptors). */
  descriptors: Float32Array[];
  accuracy: number;
  /** Per image, 1 where the arg-max of its logits is its label. */
  right: Uint8Array;
}

/** A batch of images of a split as a normalised NHWC tensor. */
export function imageBatch(ds: LoadedDataset, split: Split, indices: ArrayLike<number>, augmented?: Uint8Array): tf.Tensor4D {
  const [h, w, c] = ds.shape;
  const data = toFloatBatch(augmented ?? split.x, augmented ? identity(indices.length) : indices, ds.shape, ds.mean, ds.std);
  return tf.tensor4d(data, [indices.length, h, w, c]);
}

function identity(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/**
 * Runs a [logits, ...taps] model in inference mode over the given images of a split and
 * collects logits, optionally the taps' pooled descriptors, and the accuracy.
 */
export function runModel(model: LayersModel, ds: LoadedDataset, split: Split, indices: ArrayLike<number>, opts: { descriptors?: boolean } = {}): Outputs {
  const n = indices.length;
  const classes = ds.numClasses;
  const logits = new Float32Array(n * classes);
  let descriptors: Float32Array[] = [];
  const right = new Uint8Array(n);
  let correct = 0;
  for (let start = 0; start < n; start += EVAL_BATCH) {
    const idx = Array.prototype.slice.call(indices, start, Math.min(n, start + EVAL_BATCH)) as number[];
    tf.tidy(() => {
      const outs = model.apply(imageBatch(ds, split, idx), { training: false }) as tf.Tensor[];
      const l = outs[0].dataSync() as Float32Array;
      logits.set(l, start * classes);
      for (let i = 0; i < idx.length; i++) {
        if (argmax(l, i * classes, classes) === split.y[idx[i]]) {
          right[start + i] = 1;
          correct++;
        }
      }
      if (opts.descriptors) {
        const taps = outs.slice(1);
        if (descriptors.length === 0) descriptors = taps.map((t) => new Float32Array(n * (t.shape[3] as number)));
        taps.forEach((t, l) => descriptors[l].set(tf.mean(t, [1, 2]).dataSync() as Float32Array, start * (t.shape[3] as number)));
      }
    });
  }
  return { logits, descriptors, accuracy: n ? correct / n : 0, right };
}

export function argmax(a: ArrayLike<number>, offset: number, len: number): number {
  let best = 0;
  for (let j = 1; j < len; j++) if (a[offset + j] > a[offset + best]) best = j;
  return best;
}

/** All indices 0..n-1 of a split. */
export function allIndices(n: number): Int32Array {
  return identity(n);
}
