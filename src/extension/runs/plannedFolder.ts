/**
 * Folders of runs planned in groups, as the extension sees them (pure, unit-tested): a sweep
 * (`skd sweep`: `sweep.json`, its groups the sweep's) or a methods bench (`skd bench methods`:
 * `bench.json`, its groups the methods). The Experiments tree shows each as one row with its runs
 * under it, and the comparison groups their students.
 */
import * as path from 'node:path';
import type { RunInfo } from '../../protocol/lsp';
import type { PairedDelta } from '../../protocol/webview';

export interface PlannedFolder {
  kind: 'sweep' | 'bench';
  /** Absolute folder (its runs are its sub-folders). */
  dir: string;
  name: string;
  /** Planned runs, teachers first: their folder names, kinds and groups. */
  runs: { name: string; kind: 'teacher' | 'student'; group?: string; seed: number }[];
  groups: string[];
  /** The group the paired differences are taken against. */
  baseline?: string;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The planned folder a run directory lies in, if any. */
export function plannedFolderOfRun(folders: readonly PlannedFolder[], runDir: string): PlannedFolder | undefined {
  const parent = path.dirname(path.resolve(runDir));
  return folders.find((s) => s.dir === parent && s.runs.some((r) => r.name === path.basename(runDir)));
}

export interface FolderProgress {
  total: number;
  done: number;
  running: number;
  queued: number;
  failed: number;
  stopped: number;
}

/** Counts the planned runs by state (a planned run without a run directory yet is not started). */
export function folderProgress(folder: PlannedFolder, runs: readonly RunInfo[]): FolderProgress {
  const byName = new Map(runs.filter((r) => path.dirname(path.resolve(r.dir)) === folder.dir).map((r) => [path.basename(r.dir), r]));
  const p: FolderProgress = { total: folder.runs.length, done: 0, running: 0, queued: 0, failed: 0, stopped: 0 };
  for (const planned of folder.runs) {
    const state = byName.get(planned.name)?.status.state;
    if (state) p[state]++;
  }
  return p;
}

/** `7/18 done · 2 running · 1 failed`. */
export function progressText(p: FolderProgress): string {
  const parts = [`${p.done}/${p.total} done`];
  if (p.running) parts.push(`${p.running} running`);
  if (p.queued) parts.push(`${p.queued} queued`);
  if (p.failed) parts.push(`${p.failed} failed`);
  if (p.stopped) parts.push(`${p.stopped} stopped`);
  return parts.join(' · ');
}

/**
 * The run directories a comparison of the folder shows: its runs of a group that have a run
 * directory (every student; a bench's teacher too, which is its seed's student alone).
 */
export function studentDirs(folder: PlannedFolder, runs: readonly RunInfo[]): string[] {
  const have = new Set(runs.map((r) => path.resolve(r.dir)));
  return folder.runs.filter((r) => r.kind === 'student' || r.group !== undefined).map((r) => path.join(folder.dir, r.name)).filter((d) => have.has(d));
}

export function finite(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : NaN;
}

/** A paired difference of a report as the comparison shows it; undefined when absent. */
export function deltaOf(d: unknown): PairedDelta | undefined {
  if (!isRecord(d) || typeof d.mean !== 'number') return undefined;
  return { mean: d.mean, se: typeof d.se === 'number' ? d.se : null, n: typeof d.n === 'number' ? d.n : 0 };
}
