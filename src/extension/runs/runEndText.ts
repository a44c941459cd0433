/**
 * The words of the notification a run's end gets (pure, unit-tested): its label, its outcome and,
 * when the summary has the student trained alone, the gain over it.
 */
import { aloneAccuracyOf, gainLine, methodLabel } from '../../protocol/gain';
import type { RunInfo } from '../../protocol/lsp';
import type { RunState } from '../../protocol/runDir';
import { formatAccuracy, formatSeconds, runLabel } from './format';

export interface RunEndNotice {
  severity: 'info' | 'error';
  text: string;
}

/** Whether a change from `before` to `after` is the end of a run this window saw training. */
export function isRunEnd(before: RunState | undefined, after: RunState): boolean {
  return (before === 'running' || before === 'queued') && (after === 'done' || after === 'failed');
}

export function runEndNotice(run: RunInfo): RunEndNotice | undefined {
  const label = runLabel(run);
  if (run.status.state === 'failed') {
    return { severity: 'error', text: `SKD: ${label} failed${run.status.error ? `: ${run.status.error}` : ''}. It can be resumed from its last checkpoint.` };
  }
  if (run.status.state !== 'done') return undefined;
  const s = run.summary;
  if (!s) return { severity: 'info', text: `SKD: ${label} finished.` };
  const method = methodLabel(s.method ?? run.method);
  const result =
    gainLine(aloneAccuracyOf(s), s.student?.testAcc, method) ??
    `student ${formatAccuracy(s.student?.testAcc)}${s.teacher?.testAcc !== undefined ? `, teacher ${formatAccuracy(s.teacher.testAcc)}` : ''} test accuracy`;
  const time = typeof s.seconds === 'number' ? ` in ${formatSeconds(s.seconds)}` : '';
  return { severity: 'info', text: `SKD: ${label} finished${time}: ${result}.` };
}
