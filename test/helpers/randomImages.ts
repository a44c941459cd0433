import type { LoadedDataset } from '../../src/trainer/data/types';
import { Rng } from '../../src/trainer/util/rng';

/**
 * `n` seeded random 8x8 grey images in three classes (labels i % 3), the same split for training
 * and test: enough for engine tests that run a real model over a dataset.
 */
export function randomImageDataset(n: number, seed: number, label: string): LoadedDataset {
  const rng = Rng.derive(seed, label);
  const x = new Uint8Array(n * 64);
  for (let i = 0; i < x.length; i++) x[i] = Math.floor(rng.next() * 256);
  const y = Int32Array.from({ length: n }, (_, i) => i % 3);
  const split = { x, y, n };
  return { name: 't', shape: [8, 8, 1], numClasses: 3, labels: ['a', 'b', 'c'], train: split, test: split, mean: [0.5], std: [0.25], source: 'test' };
}
