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
