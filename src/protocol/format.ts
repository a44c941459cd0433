/**
 * Numbers as SKD Lab shows them, the same in the tree, the status bar, messages and the
 * webviews (which bundle this module too): one figure must read the same everywhere.
 */

/** An accuracy as the trainer writes it (a fraction, 0..1) to "91.2%". */
export function formatAccuracy(acc: number | undefined): string {
  if (acc === undefined || !Number.isFinite(acc)) return '–';
  return `${(acc * 100).toFixed(1)}%`;
}

/** Progress 0..1 to a whole percent, clamped. */
export function formatProgress(progress: number | undefined): string {
  if (progress === undefined || !Number.isFinite(progress)) return '0%';
  return `${Math.max(0, Math.min(100, Math.floor(progress * 100)))}%`;
}

export function formatParams(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

export function formatSeconds(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '–';
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatBytes(b: number): string {
  if (b >= 1 << 20) return `${(b / (1 << 20)).toFixed(2)} MB`;
  if (b >= 1 << 10) return `${(b / (1 << 10)).toFixed(1)} KB`;
  return `${b} B`;
}
