/** The status bar's words for the active run (pure, unit-tested). */
import type { RunInfo } from '../../protocol/lsp';
import { formatProgress, runLabel } from './format';
import type { RunLive } from './runStore';

export interface StatusBarContent {
  text: string;
  tooltip: string;
}

/** The run to show: the running one that started last, else a queued one. */
export function pickActiveRun(active: RunInfo[]): RunInfo | undefined {
  const running = active.filter((r) => r.status.state === 'running');
  const pool = running.length > 0 ? running : active;
  return [...pool].sort((a, b) => (b.status.started ?? '').localeCompare(a.status.started ?? ''))[0];
}

export function statusBarContent(run: RunInfo, live: RunLive | undefined, activeCount: number): StatusBarContent {
  const parts: string[] = [run.name];
  if (run.status.state === 'queued') parts.push('queued');
  else {
    const stage = live?.phase ?? run.status.phase;
    if (stage) parts.push(stage);
    // Events count from 0; every view shows stages and epochs from 1, as the dashboard does.
    if (live?.stage !== undefined && (stage === 'teacher' || stage === 'alone' || stage === 'student')) parts.push(`stage ${live.stage + 1}`);
    if (live?.epoch !== undefined) parts.push(`epoch ${live.epoch + 1}`);
    parts.push(formatProgress(run.status.progress));
  }
  const more = activeCount > 1 ? ` (+${activeCount - 1})` : '';
  const icon = run.status.state === 'running' ? '$(sync~spin)' : '$(clock)';
  return {
    text: `${icon} SKD: ${parts.join(' · ')}${more}`,
    tooltip: `${runLabel(run)} — ${run.status.state}\n${run.dir}\nClick to open its dashboard.`,
  };
}
