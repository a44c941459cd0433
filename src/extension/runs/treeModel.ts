/**
 * The Experiments tree as pure data: experiment files of the workspace with their runs under
 * them. The tree provider turns these nodes into `TreeItem`s; everything worth testing is here.
 */
import * as path from 'node:path';
import { aloneAccuracyOf, formatGainPoints, gainLine, methodLabel } from '../../protocol/gain';
import type { RunInfo } from '../../protocol/lsp';
import { plannedFolderOfRun, folderProgress, progressText, type PlannedFolder } from './plannedFolder';
import { formatAccuracy, formatProgress, isResumable, runFolderName, runLabel, truncate } from './format';

/** Sweep files (`skd sweep` input) match the experiment glob too; they get their own row kind. */
export const SWEEP_FILE_SUFFIX = '.sweep.skd.json';

export interface ExperimentFile {
  /** Absolute path. */
  file: string;
  /** The experiment's `name` key, when it could be read (matches runs started elsewhere). */
  name?: string;
}

export interface RunNode {
  kind: 'run';
  id: string;
  run: RunInfo;
  label: string;
  description: string;
  tooltip: string;
  /** A codicon id and an optional theme color id. */
  icon: { id: string; color?: string };
  contextValue: string;
}

export interface ExperimentNode {
  kind: 'experiment';
  id: string;
  file: string;
  label: string;
  description: string;
  tooltip: string;
  /** `skdSweepFile` for a `*.sweep.skd.json` (Run Sweep instead of Run Experiment). */
  contextValue: 'skdExperiment' | 'skdSweepFile';
  runs: RunNode[];
}

/** A sweep folder (`skd sweep` output) or a methods bench folder (`skd bench methods`) with its runs under it. */
export interface PlannedNode {
  kind: 'sweep' | 'bench';
  id: string;
  dir: string;
  label: string;
  description: string;
  tooltip: string;
  /** `skdSweep` or `skdBench`, plus `.running` while this window's `skd` process runs it. */
  contextValue: string;
  runs: RunNode[];
}

/** Runs whose experiment file is not in the workspace (or unknown). */
export interface OtherRunsNode {
  kind: 'otherRuns';
  id: 'skd-other-runs';
  label: string;
  description: string;
  contextValue: 'skdOtherRuns';
  runs: RunNode[];
}

export type RootNode = ExperimentNode | PlannedNode | OtherRunsNode;
export type TreeNode = RootNode | RunNode;

const ICONS: Record<RunInfo['status']['state'], { id: string; color?: string }> = {
  queued: { id: 'clock' },
  running: { id: 'sync~spin', color: 'charts.blue' },
  done: { id: 'pass', color: 'testing.iconPassed' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  stopped: { id: 'debug-pause', color: 'charts.yellow' },
};

export function runDescription(run: RunInfo): string {
  const s = run.status;
  switch (s.state) {
    case 'queued':
      return 'queued';
    case 'running':
      return ['running', s.phase, formatProgress(s.progress)].filter(Boolean).join(' · ');
    case 'done':
      return `done · student ${formatAccuracy(run.summary?.student.testAcc)}${gainSuffix(run)}`;
    case 'failed':
      return `failed${s.error ? `: ${truncate(s.error, 60)}` : ''} · resumable`;
    case 'stopped':
      return `stopped at ${formatProgress(s.progress)} · resumable`;
  }
}

export function runTooltip(run: RunInfo): string {
  const lines = [runLabel(run), run.dir, `status: ${run.status.state}`];
  if (run.status.backend) lines.push(`backend: ${run.status.backend}`);
  if (run.status.error) lines.push(`error: ${run.status.error}`);
  if (run.summary) {
    lines.push(`teacher test accuracy: ${formatAccuracy(run.summary.teacher.testAcc)}`);
    lines.push(`student test accuracy: ${formatAccuracy(run.summary.student.testAcc)}`);
    const gain = gainLine(aloneAccuracyOf(run.summary), run.summary.student?.testAcc, methodLabel(run.summary.method ?? run.method));
    if (gain) lines.push(gain + (typeof run.summary.studentAlone?.fromRun === 'string' ? ` (student alone from ${run.summary.studentAlone.fromRun})` : ''));
  }
  return lines.join('\n');
}

/** " (+1.8 over alone)" when the run's summary has a student alone; else nothing. */
function gainSuffix(run: RunInfo): string {
  const alone = aloneAccuracyOf(run.summary);
  const student = run.summary?.student?.testAcc;
  if (alone === undefined || typeof student !== 'number' || !Number.isFinite(student)) return '';
  return ` (${formatGainPoints(alone, student)} over alone)`;
}

/** `skdRun.<state>` plus `.resumable`, for the context menu's `viewItem` clauses. */
export function runContextValue(run: RunInfo): string {
  return `skdRun.${run.status.state}${isResumable(run) ? '.resumable' : ''}`;
}

/** A run's row; under its experiment file (`withName: false`) the label leaves the name out. */
export function runNode(run: RunInfo, opts: { withName?: boolean } = {}): RunNode {
  return {
    kind: 'run',
    id: `run:${run.dir}`,
    run,
    label: runLabel(run, { withName: opts.withName }) || runFolderName(run.dir),
    description: runDescription(run),
    tooltip: runTooltip(run),
    icon: ICONS[run.status.state] ?? { id: 'circle-outline' },
    contextValue: runContextValue(run),
  };
}

function startedKey(run: RunInfo): string {
  return run.status.started ?? runFolderName(run.dir);
}

/** Newest first. */
export function sortRuns(runs: RunInfo[]): RunInfo[] {
  return [...runs].sort((a, b) => startedKey(b).localeCompare(startedKey(a)));
}

function samePath(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b);
}

/**
 * Groups runs under their experiment files: by `experimentFile` when the server knows it, else
 * by the experiment's `name` when exactly one workspace file has that name; the rest go under
 * "Other runs". Files are sorted by relative path.
 */
export function buildTree(
  experiments: ExperimentFile[],
  runs: RunInfo[],
  workspaceRoot?: string,
  planned: readonly PlannedFolder[] = [],
  running: ReadonlySet<string> = new Set(),
): RootNode[] {
  const groups = new Map<string, RunInfo[]>();
  for (const e of experiments) groups.set(e.file, []);
  const other: RunInfo[] = [];
  const byFolder = new Map<string, RunInfo[]>(planned.map((s) => [s.dir, []]));
  for (const run of runs) {
    const folder = plannedFolderOfRun(planned, run.dir);
    if (folder) {
      byFolder.get(folder.dir)?.push(run);
      continue;
    }
    let owner = run.experimentFile ? experiments.find((e) => samePath(e.file, run.experimentFile as string)) : undefined;
    if (!owner) {
      const byName = experiments.filter((e) => e.name !== undefined && e.name === run.name);
      if (byName.length === 1) owner = byName[0];
    }
    if (owner) groups.get(owner.file)?.push(run);
    else other.push(run);
  }
  const rel = (f: string): string => (workspaceRoot ? path.relative(workspaceRoot, f) : f);
  const roots: RootNode[] = [...experiments]
    .sort((a, b) => rel(a.file).localeCompare(rel(b.file)))
    .map((e) => {
      const rs = sortRuns(groups.get(e.file) ?? []).map((r) => runNode(r, { withName: e.name === undefined || r.name !== e.name }));
      const dir = path.dirname(rel(e.file));
      if (e.file.endsWith(SWEEP_FILE_SUFFIX)) {
        return {
          kind: 'experiment',
          id: `experiment:${e.file}`,
          file: e.file,
          label: path.basename(e.file),
          description: [dir === '.' ? '' : dir, 'sweep file'].filter(Boolean).join(' · '),
          tooltip: `${e.file}\nRun it with "SKD: Run Sweep"; its runs appear under the sweep's row.`,
          contextValue: 'skdSweepFile',
          runs: rs,
        } satisfies ExperimentNode;
      }
      return {
        kind: 'experiment',
        id: `experiment:${e.file}`,
        file: e.file,
        label: path.basename(e.file),
        description: [dir === '.' ? '' : dir, rs.length ? `${rs.length} run${rs.length > 1 ? 's' : ''}` : 'no runs']
          .filter(Boolean)
          .join(' · '),
        tooltip: e.file,
        contextValue: 'skdExperiment',
        runs: rs,
      } satisfies ExperimentNode;
    });
  for (const s of planned) roots.push(plannedNode(s, byFolder.get(s.dir) ?? [], running.has(s.dir)));
  if (other.length > 0) {
    roots.push({
      kind: 'otherRuns',
      id: 'skd-other-runs',
      label: 'Other runs',
      description: `${other.length} in the runs folder`,
      contextValue: 'skdOtherRuns',
      runs: sortRuns(other).map((r) => runNode(r)),
    });
  }
  return roots;
}

/** Seeds as a short range: `1–5`, or `1, 3, 4`. */
function seedsText(seeds: readonly number[]): string {
  const sorted = [...new Set(seeds)].sort((a, b) => a - b);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (first === undefined || last === undefined) return '';
  return sorted.length > 2 && last - first === sorted.length - 1 ? `${first}–${last}` : sorted.join(', ');
}

/**
 * A sweep's or a bench's row: `sweep methods` / `bench bench-methods-<time>` · `7/18 done · 2
 * running`, its runs in plan order (teachers first).
 */
export function plannedNode(folder: PlannedFolder, runs: RunInfo[], running = false): PlannedNode {
  const order = new Map(folder.runs.map((r, i) => [r.name, i]));
  const mine = [...runs].sort((a, b) => (order.get(runFolderName(a.dir)) ?? 1e9) - (order.get(runFolderName(b.dir)) ?? 1e9));
  const progress = folderProgress(folder, runs);
  const bench = folder.kind === 'bench';
  const groups = bench
    ? [`methods: ${folder.groups.join(', ')}`, `seeds: ${seedsText(folder.runs.filter((r) => r.kind === 'student').map((r) => r.seed))}`]
    : [`${folder.groups.length} group${folder.groups.length === 1 ? '' : 's'}: ${folder.groups.join(', ')}`];
  return {
    kind: folder.kind,
    id: `${folder.kind}:${folder.dir}`,
    dir: folder.dir,
    // A bench's folder name says what it is (`bench-methods-<time>`, `bench-draws-<time>/data-seed-2`).
    label: bench ? folder.name : `sweep ${folder.name}`,
    description: progressText(progress),
    tooltip: [`${folder.kind} ${folder.name}`, folder.dir, ...groups, ...(folder.baseline ? [`baseline: ${folder.baseline}`] : [])].join('\n'),
    contextValue: `${bench ? 'skdBench' : 'skdSweep'}${running ? '.running' : ''}`,
    // Inside a sweep or bench the folder name (`kd-s2`) says group and seed; the method is in it already.
    runs: mine.map((r) => ({ ...runNode(r), label: runFolderName(r.dir) })),
  };
}

export function childrenOf(node: TreeNode | undefined, roots: RootNode[]): TreeNode[] {
  if (!node) return roots;
  if (node.kind === 'run') return [];
  return node.runs;
}
