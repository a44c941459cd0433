import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { LoadedDataset } from '../data/types';
import { Rng } from '../util/rng';
import { imageBatch } from './evaluate';

/**
 * Precise batch norm (`training.preciseBn`; Wu & Johnson, "Rethinking 'Batch' in BatchNorm",
 * 2021): before an epoch's validation, every batch-norm layer's moving mean and variance are
 * recomputed as the plain average of their batch statistics over the `chosen` fit images (in
 * batches of `batchSize`), with the weights as they are at the end of the epoch. The moving averages that training keeps
 * (momentum 0.9: about the last ten batches) lag behind weights that are still moving, and in
 * a short schedule a distilled student's inference-mode accuracy can fall far below what its
 * weights give (docs/method.md, "Precise batch norm"). Training itself uses batch statistics,
 * so the weights, and every epoch's training, are the same with it or without it; only the
 * moving statistics, and so validation, selection and test accuracy, change. The train loops
 * of the student and the student alone, and the teacher's with `training.preciseBnTeacher`
 * (then also its recorded trajectory).
 */
export function recalibrateBatchNorm(model: LayersModel, ds: LoadedDataset, chosen: Int32Array, batchSize: number): void {
  const layers = model.layers.filter((l) => l.getClassName() === 'BatchNormalization') as unknown as { momentum: number }[];
  if (layers.length === 0 || chosen.length === 0) return;
  const saved = layers.map((l) => l.momentum);
  try {
    let k = 0;
    for (let start = 0; start < chosen.length; start += batchSize) {
      k++;
      // moving = moving - (moving - batch) * (1 - momentum) with momentum 1 - 1/k: the mean of
      // the k batches' statistics so far (the first batch replaces the old value outright).
      for (const l of layers) l.momentum = 1 - 1 / k;
      const idx = chosen.subarray(start, Math.min(chosen.length, start + batchSize));
      tf.tidy(() => {
        model.apply(imageBatch(ds, ds.train, idx), { training: true });
      });
    }
  } finally {
    layers.forEach((l, i) => (l.momentum = saved[i]));
  }
}

/** The fit images precise batch norm averages over: `count` of them (all when fewer), one seeded draw. */
export function preciseBnImages(fit: ArrayLike<number>, count: number, rng: Rng): Int32Array {
  const order = rng.shuffle(Int32Array.from(fit)) as Int32Array;
  return order.slice(0, Math.max(0, Math.min(count, order.length)));
}

/**
 * The images a train loop recomputes its statistics over: the same at every epoch and on resume,
 * drawn from the loop's own seeded stream (`stream`: whose data order it draws).
 */
export function loopPreciseBnImages(fit: ArrayLike<number>, count: number, seed: number, stream: string): Int32Array {
  return preciseBnImages(fit, count, Rng.derive(seed, 'precise-bn', stream));
}
