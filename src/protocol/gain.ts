/**
 * "student alone X%, with <method> Y% (+Z points)": the one wording of a run's gain over its
 * student alone, shared by the command line, the Experiments tree and the dashboard. Pure.
 */

/** Display names of the built-in methods (the dashboard and tree); others keep their name. */
const METHOD_LABELS: Record<string, string> = {
  none: 'none',
  kd: 'KD',
  fitnet: 'FitNet',
  at: 'AT',
  rco: 'RCO',
  dkd: 'DKD',
  skd: 'SKD',
  'skd-no-tbt': 'SKD-no-TBT',
  'skd-no-tet': 'SKD-no-TET',
  'skd-no-stages': 'SKD-no-stages',
};

export function methodLabel(method: string): string {
  return METHOD_LABELS[method] ?? method;
}

/** An accuracy as the trainer writes it (a fraction, 0..1) in percent, one decimal. */
function percent(acc: number): number {
  return Math.round(acc * 1000) / 10;
}

/** Accuracies are fractions everywhere in SKD Lab's files; anything else is not shown. */
function isAccuracy(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1;
}

/**
 * The gain in points, one decimal, signed: "+1.8", "-0.4", "±0.0". Computed from the rounded
 * accuracies, so the line reads consistently (81.2% and 83.0% say +1.8, never +1.9).
 */
export function formatGainPoints(aloneAcc: number, studentAcc: number): string {
  const d = Math.round((percent(studentAcc) - percent(aloneAcc)) * 10) / 10;
  if (d === 0) return '±0.0';
  return `${d > 0 ? '+' : '-'}${Math.abs(d).toFixed(1)}`;
}

/**
 * `student alone 81.2%, with skd 83.0% (+1.8 points)`; undefined when either accuracy is
 * missing or not a number (a summary from an older run, a hand-edited file).
 */
export function gainLine(aloneAcc: unknown, studentAcc: unknown, method: string): string | undefined {
  if (!isAccuracy(aloneAcc) || !isAccuracy(studentAcc)) return undefined;
  return `student alone ${percent(aloneAcc).toFixed(1)}%, with ${method} ${percent(studentAcc).toFixed(1)}% (${formatGainPoints(aloneAcc, studentAcc)} points)`;
}

/** The student-alone accuracy of a summary-like object, checked (summaries are read tolerantly). */
export function aloneAccuracyOf(summary: { studentAlone?: unknown } | undefined): number | undefined {
  const a = summary?.studentAlone;
  if (typeof a !== 'object' || a === null) return undefined;
  const acc = (a as { testAcc?: unknown }).testAcc;
  return isAccuracy(acc) ? acc : undefined;
}
