/**
 * The statistics of `skd bench methods`: mean and sample standard deviation over seeds, and the
 * paired difference of two methods over the seeds both have (same teacher, same seed, so the
 * same data order and initial weights): the mean of the per-seed differences, its standard
 * error (std of the differences / sqrt(n)) and t = mean / SE. Pure functions, no I/O.
 */

import { meanStd } from '../../protocol/stats';

// The shared definition (the comparison table uses it too); re-exported for the bench and sweep reports.
export { meanStd, type MeanStd } from '../../protocol/stats';

export interface PairedDiff {
  /** Seeds both methods have, ascending. */
  seeds: number[];
  n: number;
  /** Mean of the per-seed differences a - b. */
  mean: number;
  /** Sample standard deviation of the differences (0 when n < 2). */
  std: number;
  /** Standard error of the mean difference, std / sqrt(n); null when n < 2. */
  se: number | null;
  /** mean / se; null when n < 2 or se is 0. */
  t: number | null;
  /** The standard error the fixed images add (`imageSe`), where every run has its per-image record. */
  seImages?: number;
}

/** Spreads of accuracy differences (fractions) below this are floating-point rounding. */
const SPREAD_EPSILON = 1e-12;

/** Values by seed. */
export type BySeed = ReadonlyMap<number, number>;

/** The paired difference a - b over the seeds both have; undefined when they share none. */
export function pairedDiff(a: BySeed, b: BySeed): PairedDiff | undefined {
  const seeds = [...a.keys()].filter((s) => b.has(s)).sort((x, y) => x - y);
  if (seeds.length === 0) return undefined;
  const diffs = seeds.map((s) => a.get(s)! - b.get(s)!);
  const { mean, std: raw, n } = meanStd(diffs);
  // Equal differences can differ in their last bits (28/300 - 10/300 is not 24/300 - 6/300 in
  // floating point): a spread far below one image in a billion is none, and gives no t.
  const std = raw < SPREAD_EPSILON ? 0 : raw;
  const se = n > 1 ? std / Math.sqrt(n) : null;
  const t = se !== null && se > 0 ? mean / se : null;
  return { seeds, n, mean, std, se, t };
}

/** Per seed, which images of a split a run gets right (0/1 per image, in the split's order). */
export type ImagesBySeed = ReadonlyMap<number, Uint8Array>;

/**
 * The standard error that the fixed images add to a paired difference a - b over `seeds`.
 * Every seed is tested on the same images, so the seeds' standard error says nothing of how the
 * difference would move on other images of the same kind: per image, the mean over the seeds of
 * a's correctness minus b's, and the standard error of their mean over the images. Seeds and
 * images are two crossed samples; the difference's variance is about the sum of the two squared
 * standard errors (`seBoth`: their shared interaction term is counted in both, so a little
 * high). Undefined when a seed lacks its record or the records differ in size.
 */
export function imageSe(a: ImagesBySeed, b: ImagesBySeed, seeds: readonly number[]): number | undefined {
  if (seeds.length === 0) return undefined;
  const n = a.get(seeds[0])?.length;
  if (!n || n < 2) return undefined;
  const d = new Float64Array(n);
  for (const s of seeds) {
    const x = a.get(s);
    const y = b.get(s);
    if (!x || !y || x.length !== n || y.length !== n) return undefined;
    for (let i = 0; i < n; i++) d[i] += (x[i] - y[i]) / seeds.length;
  }
  const { std } = meanStd([...d]);
  return std / Math.sqrt(n);
}

/** The standard error over seeds and images together (see `imageSe`); null where either is missing. */
export function seBoth(d: PairedDiff): number | null {
  return d.se === null || d.seImages === undefined ? null : Math.sqrt(d.se ** 2 + d.seImages ** 2);
}
