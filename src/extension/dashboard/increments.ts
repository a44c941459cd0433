/**
 * How a dashboard follows a run: after the full history once, only new events. A notification
 * whose events were all sent already is stale; one that starts past what was sent means some
 * were missed (a gap), and the host reads them from the run directory instead.
 */
export type IncrementPlan =
  | { kind: 'forward'; skip: number; next: number }
  | { kind: 'stale' }
  | { kind: 'gap' };

/** `cursor`: index of the next event the webview needs; `from`/`count`: what arrived. */
export function planIncrement(cursor: number, from: number, count: number): IncrementPlan {
  if (from > cursor) return { kind: 'gap' };
  const end = from + count;
  if (end <= cursor) return { kind: 'stale' };
  return { kind: 'forward', skip: cursor - from, next: end };
}
