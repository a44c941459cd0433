import type { MetricEvent, RunStatus } from '../../protocol/runDir';

/**
 * Seconds a run was actually training before the current session: each `run` event opens a
 * session, which lasts until its last event (or, for the newest one, the status written when it
 * stopped, whichever is later). Time between a stop and the resume does not count.
 */
export function priorActiveSeconds(events: readonly MetricEvent[], status?: Pick<RunStatus, 'updated'>): number {
  const sessions: { start: number; end: number }[] = [];
  for (const e of events) {
    const t = Date.parse(e.time);
    if (!Number.isFinite(t)) continue;
    if (e.type === 'run' || sessions.length === 0) sessions.push({ start: t, end: t });
    else sessions[sessions.length - 1].end = Math.max(sessions[sessions.length - 1].end, t);
  }
  const last = sessions[sessions.length - 1];
  const updated = status?.updated ? Date.parse(status.updated) : NaN;
  if (last && Number.isFinite(updated) && updated > last.end) last.end = updated;
  return sessions.reduce((sum, s) => sum + Math.max(0, s.end - s.start), 0) / 1000;
}
