/** Short texts for runs, shared by the tree, the status bar and messages. */
import { methodLabel } from '../../protocol/gain';
import type { RunInfo } from '../../protocol/lsp';

export { formatAccuracy, formatBytes, formatParams, formatProgress, formatSeconds } from '../../protocol/format';

/** The folder name of a run (`<name>-<timestamp>`), its stable label. */
export function runFolderName(dir: string): string {
  const parts = dir.split(/[\\/]/).filter((p) => p.length > 0);
  return parts[parts.length - 1] ?? dir;
}

/** When a run started: its status, else the `-YYYYMMDD-HHMMSS` of its folder name. */
export function runStarted(run: Pick<RunInfo, 'dir' | 'status'>): Date | undefined {
  const iso = run.status.started ? new Date(run.status.started) : undefined;
  if (iso && Number.isFinite(iso.getTime())) return iso;
  const m = /-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})(?:-\d+)?$/.exec(runFolderName(run.dir));
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return new Date(y, mo - 1, d, h, mi, s);
}

/** "14:05" today, "Nov 28 14:05" another day (local time). */
export function shortTime(when: Date, now = new Date()): string {
  const hm = `${String(when.getHours()).padStart(2, '0')}:${String(when.getMinutes()).padStart(2, '0')}`;
  const today = when.getFullYear() === now.getFullYear() && when.getMonth() === now.getMonth() && when.getDate() === now.getDate();
  if (today) return hm;
  return `${when.toLocaleString('en-US', { month: 'short' })} ${when.getDate()} ${hm}`;
}

/**
 * What tells runs apart, for tabs, the tree and pickers: "tiny-skd · SKD · seed 1 · 14:05".
 * `withName: false` leaves the name out where it is said already (under its experiment file).
 */
export function runLabel(run: Pick<RunInfo, 'name' | 'method' | 'seed' | 'dir' | 'status'>, opts: { withName?: boolean; now?: Date } = {}): string {
  const started = runStarted(run);
  return [
    opts.withName === false ? undefined : run.name || runFolderName(run.dir),
    run.method ? methodLabel(run.method) : undefined,
    run.seed !== undefined ? `seed ${run.seed}` : undefined,
    started ? shortTime(started, opts.now) : undefined,
  ]
    .filter((p): p is string => p !== undefined && p !== '')
    .join(' · ');
}

export function isActive(run: RunInfo): boolean {
  return run.status.state === 'running' || run.status.state === 'queued';
}

/** Stopped and failed runs continue from their last checkpoint. */
export function isResumable(run: RunInfo): boolean {
  return run.status.state === 'stopped' || run.status.state === 'failed';
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
