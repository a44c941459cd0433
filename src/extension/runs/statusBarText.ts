/** The status bar's words for the active run (pure, unit-tested). */
import type { RunInfo } from '../../protocol/lsp';
import { formatProgress } from './format';
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
    if (live?.stage !== undefined && (stage === 'teacher' || stage === 'student')) parts.push(`stage ${live.stage}`);
    if (live?.epoch !== undefined) parts.push(`epoch ${live.epoch}`);
    parts.push(formatProgress(run.status.progress));
  }
  const more = activeCount > 1 ? ` (+${activeCount - 1})` : '';
  const icon = run.status.state === 'running' ? '$(sync~spin)' : '$(clock)';
  return {
    text: `${icon} SKD: ${parts.join(' · ')}${more}`,
    tooltip: `${run.name} (${run.method}) — ${run.status.state}\n${run.dir}\nClick to open its dashboard.`,
  };
}
