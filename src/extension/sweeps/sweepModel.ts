/**
 * Sweep folders as the extension sees them (pure, unit-tested): the plan a sweep folder holds
 * (`sweep.json`, written by `skd sweep`), which runs of the store belong to it, its progress
 * line, and the statistics of `skd sweep report --json` in the comparison's shape.
 */
import * as path from 'node:path';
import type { RunInfo } from '../../protocol/lsp';
import type { CompareSweep, PairedDelta } from '../../protocol/webview';

export interface SweepFolder {
  /** Absolute sweep folder (its runs are its sub-folders). */
  dir: string;
  name: string;
  /** Planned runs, teachers first: their folder names, kinds and groups. */
  runs: { name: string; kind: 'teacher' | 'student'; group?: string; seed: number }[];
  groups: string[];
  baseline?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A `sweep.json` as read from disk; a bad one is an error naming the file and the field. */
export function parseSweepPlan(dir: string, value: unknown): SweepFolder {
  const file = path.join(dir, 'sweep.json');
  if (!isRecord(value)) throw new Error(`${file}: not a JSON object`);
  if (typeof value.name !== 'string' || !value.name) throw new Error(`${file}: "name" must be a non-empty string`);
  if (!Array.isArray(value.runs)) throw new Error(`${file}: "runs" must be a list`);
  const runs = value.runs.map((r, i) => {
    if (!isRecord(r) || typeof r.name !== 'string' || (r.kind !== 'teacher' && r.kind !== 'student')) {
      throw new Error(`${file}: "runs[${i}]" needs a name and a kind (teacher or student)`);
    }
    return {
      name: r.name,
      kind: r.kind,
      ...(typeof r.group === 'string' ? { group: r.group } : {}),
      seed: typeof r.seed === 'number' ? r.seed : 0,
    } as SweepFolder['runs'][number];
  });
  const groups = Array.isArray(value.groups) ? value.groups.flatMap((g) => (isRecord(g) && typeof g.name === 'string' ? [g.name] : [])) : [];
  return { dir: path.resolve(dir), name: value.name, runs, groups, ...(typeof value.baseline === 'string' ? { baseline: value.baseline } : {}) };
}

/** The sweep folder a run directory lies in, if any. */
export function sweepOfRun(sweeps: readonly SweepFolder[], runDir: string): SweepFolder | undefined {
  const parent = path.dirname(path.resolve(runDir));
  return sweeps.find((s) => s.dir === parent && s.runs.some((r) => r.name === path.basename(runDir)));
}

export interface SweepProgress {
  total: number;
  done: number;
  running: number;
  queued: number;
  failed: number;
  stopped: number;
}

/** Counts the planned runs by state (a planned run without a run directory yet is not started). */
export function sweepProgress(sweep: SweepFolder, runs: readonly RunInfo[]): SweepProgress {
  const byName = new Map(runs.filter((r) => path.dirname(path.resolve(r.dir)) === sweep.dir).map((r) => [path.basename(r.dir), r]));
  const p: SweepProgress = { total: sweep.runs.length, done: 0, running: 0, queued: 0, failed: 0, stopped: 0 };
  for (const planned of sweep.runs) {
    const state = byName.get(planned.name)?.status.state;
    if (state) p[state]++;
  }
  return p;
}

/** `7/18 done · 2 running · 1 failed`. */
export function sweepProgressText(p: SweepProgress): string {
  const parts = [`${p.done}/${p.total} done`];
  if (p.running) parts.push(`${p.running} running`);
  if (p.queued) parts.push(`${p.queued} queued`);
  if (p.failed) parts.push(`${p.failed} failed`);
  if (p.stopped) parts.push(`${p.stopped} stopped`);
  return parts.join(' · ');
}

/** The run directories a comparison of the sweep shows: its students that have a run directory. */
export function sweepStudentDirs(sweep: SweepFolder, runs: readonly RunInfo[]): string[] {
  const have = new Set(runs.map((r) => path.resolve(r.dir)));
  return sweep.runs.filter((r) => r.kind === 'student').map((r) => path.join(sweep.dir, r.name)).filter((d) => have.has(d));
}

function finite(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : NaN;
}

/** A paired difference of the report as the comparison shows it; undefined when absent. */
function deltaOf(d: unknown): PairedDelta | undefined {
  if (!isRecord(d) || typeof d.mean !== 'number') return undefined;
  return { mean: d.mean, se: typeof d.se === 'number' ? d.se : null, n: typeof d.n === 'number' ? d.n : 0 };
}

/**
 * `skd sweep report <dir> --json` in the comparison's shape. The report is the command line's
 * (src/trainer/sweep/report.ts): the extension only reads it, so both show the same numbers.
 */
export function compareSweepFromReport(value: unknown, where: string): CompareSweep {
  if (!isRecord(value)) throw new Error(`${where}: the sweep report is not a JSON object`);
  if (typeof value.sweep !== 'string') throw new Error(`${where}: the sweep report has no "sweep" name`);
  if (!Array.isArray(value.groups)) throw new Error(`${where}: the sweep report has no "groups" list`);
  const groups = value.groups.map((g, i): CompareSweep['groups'][number] => {
    if (!isRecord(g) || typeof g.group !== 'string') throw new Error(`${where}: "groups[${i}].group" must be a string`);
    const test = isRecord(g.test) ? g.test : {};
    const vs = isRecord(g.vsBaseline) ? g.vsBaseline : {};
    const d = deltaOf(vs.test);
    const held = deltaOf(vs.heldOutVal);
    return {
      group: g.group,
      runs: typeof g.runs === 'number' ? g.runs : 0,
      testMean: finite(test.mean),
      testStd: finite(test.std),
      ...(d ? { delta: d } : {}),
      ...(held ? { heldOutDelta: held } : {}),
    };
  });
  return { name: value.sweep, baseline: typeof value.baseline === 'string' ? value.baseline : '', groups };
}

export type Executor = 'local' | 'slurm';

/** How `skd sweep` ended (its exit codes): 0 done or submitted, 1 a run failed, 2 bad input, 3 stopped. */
export function sweepOutcome(code: number | null, executor: Executor): { level: 'info' | 'warn' | 'error'; text: string } {
  switch (code) {
    case 0:
      return { level: 'info', text: executor === 'slurm' ? 'submitted to Slurm; the tree follows its runs' : 'done' };
    case 1:
      return { level: 'warn', text: 'ended with failed runs (see the SKD Sweeps output); Run Sweep again reruns them' };
    case 3:
      return { level: 'info', text: 'stopped; Run Sweep again resumes it' };
    case 2:
      return { level: 'error', text: 'refused the sweep file (see the SKD Sweeps output)' };
    default:
      return { level: 'error', text: `ended with exit code ${code ?? 'none (killed)'}` };
  }
}
