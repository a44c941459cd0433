import type { Rng } from '../util/rng';
import type { Split } from './types';

/**
 * Stratified, seeded selections of a split's records. Both keep each class's share of the
 * split, so a small limit or a held-out part still shows every class in its proportion.
 * Returned indices are ascending: the file order is kept and the engine does the shuffling.
 */

/** Indices of each class's records, each list in a random order drawn from `rng`. */
function shuffledByClass(y: Int32Array, rng: Rng): Int32Array[] {
  let numClasses = 0;
  for (let i = 0; i < y.length; i++) if (y[i] + 1 > numClasses) numClasses = y[i] + 1;
  const counts = new Int32Array(numClasses);
  for (let i = 0; i < y.length; i++) counts[y[i]]++;
  const lists = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(numClasses);
  for (let i = 0; i < y.length; i++) lists[y[i]][fill[y[i]]++] = i;
  for (const l of lists) rng.shuffle(l);
  return lists;
}

/**
 * Per-class counts that sum to `total` and follow the class proportions: floors first, then
 * the leftover records go to the classes with the largest remainders (lowest class on ties).
 */
function proportionalQuotas(sizes: number[], total: number): number[] {
  const all = sizes.reduce((a, b) => a + b, 0);
  const exact = sizes.map((s) => (all === 0 ? 0 : (total * s) / all));
  const quotas = exact.map(Math.floor);
  let left = total - quotas.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((e, k) => k).sort((a, b) => exact[b] - quotas[b] - (exact[a] - quotas[a]) || a - b);
  for (const k of byRemainder) {
    if (left === 0) break;
    if (quotas[k] < sizes[k]) {
      quotas[k]++;
      left--;
    }
  }
  return quotas;
}

function ascending(lists: Int32Array[], takes: number[], from: 'head' | 'tail'): Int32Array {
  const out: number[] = [];
  lists.forEach((l, k) => {
    const part = from === 'head' ? l.subarray(0, takes[k]) : l.subarray(takes[k]);
    for (const i of part) out.push(i);
  });
  return Int32Array.from(out).sort();
}

/** `count` records chosen per class in proportion (all of them when count >= y.length). */
export function stratifiedSample(y: Int32Array, count: number, rng: Rng): Int32Array {
  const lists = shuffledByClass(y, rng);
  const quotas = proportionalQuotas(lists.map((l) => l.length), Math.min(count, y.length));
  return ascending(lists, quotas, 'head');
}

/**
 * Splits records into `kept` and `held` (about `share` of each class, rounded per class), e.g.
 * a test part of a folder data set or a validation part of a training split.
 */
export function stratifiedSplit(y: Int32Array, share: number, rng: Rng): { kept: Int32Array; held: Int32Array } {
  const lists = shuffledByClass(y, rng);
  const held = lists.map((l) => Math.round(share * l.length));
  return { held: ascending(lists, held, 'head'), kept: ascending(lists, held, 'tail') };
}

/** The records of `split` at `indices`, copied into a new split. */
export function selectRecords(split: Split, indices: ArrayLike<number>, imageSize: number): Split {
  const n = indices.length;
  const x = new Uint8Array(n * imageSize);
  const y = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const i = indices[j];
    x.set(split.x.subarray(i * imageSize, (i + 1) * imageSize), j * imageSize);
    y[j] = split.y[i];
  }
  return { x, y, n };
}
