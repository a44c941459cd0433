/**
 * Mean and sample standard deviation: the one definition behind every "mean ± std" SKD Lab
 * shows (`skd bench methods`, `skd sweep report`, the comparison table's group rows). Pure; the
 * webview bundles it too.
 */

export interface MeanStd {
  mean: number;
  /** Sample standard deviation (n - 1); 0 for a single value. */
  std: number;
  /** The number of finite values it is over. */
  n: number;
}

/** Over the finite values only (a run without the metric is left out, not counted as 0); NaN mean and std for none. */
export function meanStd(values: readonly number[]): MeanStd {
  const xs = values.filter((v) => Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { mean: NaN, std: NaN, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance), n };
}
