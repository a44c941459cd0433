/**
 * Small statistics the throughput benchmark reports: the median of back-to-back repetitions
 * (robust to one run disturbed by other work on the machine) and ratios that stay null rather
 * than becoming Infinity or NaN when a side is missing.
 */

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** a / b, or null when either is missing or b is not a positive number. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  if (!Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return null;
  return a / b;
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** "0.54x", or "-" when there is no ratio. */
export function fmtRatio(r: number | null): string {
  return r === null ? '-' : `${r.toFixed(2)}x`;
}

/** Images/s or ms as people read them: no decimals from 100 up, one below. */
export function fmtNumber(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(1);
}

/** Rows of cells as aligned columns: the first left-aligned, the others right-aligned, a rule under the header rows. */
export function alignColumns(rows: string[][], headerRows = 1): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? (cell ?? '').padEnd(widths[c]) : (cell ?? '').padStart(widths[c]))).join('  ').trimEnd());
  lines.splice(headerRows, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return lines.join('\n');
}
