/**
 * The comparison's experiments table as data (pure, unit-tested): its columns, sorting,
 * grouping by any settings column (method, seed, T, sweep group, ...) with mean ± sample std per
 * group, the per-epoch and per-stage metrics a chart can overlay, exponential smoothing, and the
 * view state a reload restores. The filter box's language is in compareFilter.ts.
 */
import { meanStd, type MeanStd } from '../src/protocol/stats';
import type { CompareRun, CompareSweep, CompareViewState, PairedDelta } from '../src/protocol/webview';
import type { Point } from './dashboardModel';

export { meanStd, type MeanStd };

export type ColumnKind = 'text' | 'int' | 'num' | 'pct' | 'points' | 'time' | 'params';

export interface Column {
  key: string;
  label: string;
  kind: ColumnKind;
  /** Shown with mean ± std in a group's row. */
  aggregate?: boolean;
  /** Offered by "Group by": a setting whose values repeat across runs (text or a few numbers). */
  groupable?: boolean;
  /** More names the filter box knows it by (lower case), besides its key and label. */
  aliases?: readonly string[];
  title?: string;
  value(run: CompareRun): string | number | undefined;
}

const frac = (v: number | undefined): number | undefined => (v === undefined || !Number.isFinite(v) ? undefined : v > 1 ? v / 100 : v);

export const COLUMNS: readonly Column[] = [
  { key: 'name', label: 'Run', kind: 'text', aliases: ['run'], value: (r) => r.name },
  { key: 'method', label: 'Method', kind: 'text', groupable: true, value: (r) => r.method || undefined },
  { key: 'group', label: 'Group', kind: 'text', groupable: true, aliases: ['sweep'], title: 'Sweep group', value: (r) => r.group },
  { key: 'state', label: 'Status', kind: 'text', groupable: true, value: (r) => r.state },
  { key: 'temperature', label: 'T', kind: 'num', groupable: true, aliases: ['temp'], title: 'Distillation temperature', value: (r) => r.hyper?.temperature },
  { key: 'stages', label: 'Stages', kind: 'int', groupable: true, value: (r) => r.hyper?.stages },
  { key: 'student', label: 'Student', kind: 'text', groupable: true, title: 'Student model and width', value: (r) => r.hyper?.student },
  { key: 'teacher', label: 'Teacher', kind: 'text', groupable: true, title: 'Teacher model and width', value: (r) => r.hyper?.teacher },
  { key: 'epochs', label: 'Epochs', kind: 'int', groupable: true, title: 'Student epochs', value: (r) => r.hyper?.epochs },
  { key: 'lr', label: 'LR', kind: 'num', groupable: true, title: 'Learning rate', value: (r) => r.hyper?.lr },
  { key: 'seed', label: 'Seed', kind: 'int', groupable: true, value: (r) => r.hyper?.seed },
  // `teacher` and `student` with > or < in the filter mean these accuracies (the model columns are text).
  { key: 'teacherAcc', label: 'Teacher acc.', kind: 'pct', aggregate: true, aliases: ['teacher'], title: 'Teacher test accuracy', value: (r) => frac(r.teacherAcc) },
  { key: 'studentAcc', label: 'Student acc.', kind: 'pct', aggregate: true, aliases: ['student', 'acc'], title: 'Test accuracy of the selected student', value: (r) => frac(r.studentAcc) },
  { key: 'bestValAcc', label: 'Best val.', kind: 'pct', aggregate: true, aliases: ['best', 'val'], title: 'Best validation accuracy of the student', value: (r) => frac(r.bestValAcc) },
  { key: 'aloneAcc', label: 'Alone', kind: 'pct', aggregate: true, title: 'Test accuracy of the same student trained alone', value: (r) => frac(r.aloneAcc) },
  { key: 'gain', label: 'Gain', kind: 'points', aggregate: true, title: 'Student minus student alone, in points', value: (r) => r.gain },
  { key: 'studentParams', label: 'Params', kind: 'params', title: 'Student parameters', value: (r) => r.studentParams },
  { key: 'seconds', label: 'Time', kind: 'time', aggregate: true, value: (r) => r.seconds },
];

/** The columns worth showing: the group column only for sweep runs, hyperparameters only when some run has them. */
export function visibleColumns(runs: readonly CompareRun[]): Column[] {
  const always = new Set(['name', 'method', 'state', 'studentAcc']);
  return COLUMNS.filter((c) => always.has(c.key) || runs.some((r) => c.value(r) !== undefined));
}

export function columnOf(key: string): Column | undefined {
  return COLUMNS.find((c) => c.key === key);
}

/** What "Group by" offers for these runs: the groupable columns some run has a value in. */
export function groupableColumns(runs: readonly CompareRun[]): Column[] {
  return visibleColumns(runs).filter((c) => c.groupable);
}

export function present(v: string | number | undefined): v is string | number {
  return v !== undefined && v !== '' && !(typeof v === 'number' && !Number.isFinite(v));
}

/** Compares two cell values; missing values sort last whichever the direction. */
export function compareValues(a: string | number | undefined, b: string | number | undefined, dir: 'asc' | 'desc'): number {
  const pa = present(a);
  const pb = present(b);
  if (!pa || !pb) return pa === pb ? 0 : pa ? -1 : 1;
  const sign = dir === 'asc' ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return sign * (a - b);
  return sign * String(a).localeCompare(String(b), undefined, { numeric: true });
}

/** Indices of `runs` in the order of the sorted table (stable: ties keep the host's order). */
export function sortOrder(runs: readonly CompareRun[], key: string, dir: 'asc' | 'desc'): number[] {
  const col = columnOf(key);
  const idx = runs.map((_, i) => i);
  if (!col) return idx;
  return idx.sort((i, j) => compareValues(col.value(runs[i] as CompareRun), col.value(runs[j] as CompareRun), dir) || i - j);
}

export interface RowGroup {
  /** The group's cell as shown (`skd`, `1`, `0.05`); '' without grouping. */
  key: string;
  /** Indices into the runs, sorted. */
  rows: number[];
  stats: Record<string, MeanStd>;
  /** From the sweep report, when grouped by sweep group: the paired Δ on test, and on held-out validation. */
  delta?: PairedDelta;
  heldOutDelta?: PairedDelta;
  baseline?: boolean;
}

/** The column a grouping uses; undefined for `none` or a key that is not groupable. */
function groupColumn(by: string): Column | undefined {
  const col = columnOf(by);
  return col?.groupable ? col : undefined;
}

/** The run's group as its cell reads (numbers formatted as in the table), or a `(no ...)` label. */
export function groupKeyOf(run: CompareRun, by: CompareViewState['groupBy']): string {
  const col = groupColumn(by);
  if (!col) return '';
  const v = col.value(run);
  if (present(v)) return formatCell(col.kind, v);
  return by === 'group' ? '(not in a sweep group)' : `(no ${col.key === 'temperature' ? 'temperature' : col.label.toLowerCase()})`;
}

/**
 * Groups the sorted rows (those in `only`, when given: the rows the filter lets through).
 * Groups are ordered by the sort column's group mean when it is a metric, else by their value
 * (numbers as numbers, missing last); each keeps its runs in the sorted order.
 */
export function groupRows(
  runs: readonly CompareRun[],
  view: Pick<CompareViewState, 'groupBy' | 'sortKey' | 'sortDir'>,
  sweep?: CompareSweep,
  only?: readonly number[],
): RowGroup[] {
  const keep = only ? new Set(only) : undefined;
  const order = sortOrder(runs, view.sortKey, view.sortDir).filter((i) => !keep || keep.has(i));
  const col = groupColumn(view.groupBy);
  if (!col) return [{ key: '', rows: order, stats: {} }];
  const byKey = new Map<string, number[]>();
  for (const i of order) {
    const k = groupKeyOf(runs[i] as CompareRun, view.groupBy);
    byKey.set(k, [...(byKey.get(k) ?? []), i]);
  }
  const valueOf = (g: RowGroup): string | number | undefined => col.value(runs[g.rows[0] as number] as CompareRun);
  const groups: RowGroup[] = [...byKey].map(([key, rows]) => {
    const stats: Record<string, MeanStd> = {};
    for (const c of COLUMNS) {
      if (!c.aggregate) continue;
      stats[c.key] = meanStd(rows.map((i) => c.value(runs[i] as CompareRun)).filter((v): v is number => typeof v === 'number'));
    }
    const g: RowGroup = { key, rows, stats };
    const fromSweep = view.groupBy === 'group' ? sweep?.groups.find((s) => s.group === key) : undefined;
    if (fromSweep?.delta) g.delta = fromSweep.delta;
    if (fromSweep?.heldOutDelta) g.heldOutDelta = fromSweep.heldOutDelta;
    if (view.groupBy === 'group' && sweep && key === sweep.baseline) g.baseline = true;
    return g;
  });
  const sortCol = columnOf(view.sortKey);
  if (sortCol?.aggregate) {
    return groups.sort((a, b) => compareValues(a.stats[sortCol.key]?.mean, b.stats[sortCol.key]?.mean, view.sortDir) || a.key.localeCompare(b.key));
  }
  const dir = view.sortKey === view.groupBy ? view.sortDir : 'asc';
  return groups.sort((a, b) => compareValues(valueOf(a), valueOf(b), dir) || a.key.localeCompare(b.key));
}

// ---------------------------------------------------------------- formatting

export function formatCell(kind: ColumnKind, v: string | number | undefined): string {
  if (!present(v)) return '–';
  if (typeof v === 'string') return v;
  switch (kind) {
    case 'pct':
      return `${(v * 100).toFixed(1)}%`;
    case 'points':
      return `${v >= 0 ? '+' : '−'}${Math.abs(v * 100).toFixed(1)}`;
    case 'int':
      return String(Math.round(v));
    case 'params':
      return v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : String(v);
    case 'time':
      return v < 60 ? `${v.toFixed(1)} s` : v < 3600 ? `${Math.floor(v / 60)} min ${Math.round(v % 60)} s` : `${Math.floor(v / 3600)} h ${Math.floor((v % 3600) / 60)} min`;
    default:
      return String(Number(v.toPrecision(4)));
  }
}

/** `85.1 ± 0.4%` for a group; a single run has no spread to show. */
export function formatMeanStd(kind: ColumnKind, s: MeanStd | undefined): string {
  if (!s || s.n === 0) return '–';
  if (s.n === 1) return formatCell(kind, s.mean);
  if (kind === 'pct') return `${(s.mean * 100).toFixed(1)} ± ${(s.std * 100).toFixed(1)}%`;
  if (kind === 'points') return `${formatCell('points', s.mean)} ± ${(s.std * 100).toFixed(1)}`;
  return `${formatCell(kind, s.mean)} ± ${formatCell(kind, s.std)}`;
}

/** The paired difference to the baseline in points: `Δ +0.62 ± 0.21 (n 3)`. */
export function formatDelta(d: PairedDelta): string {
  const head = `Δ ${d.mean >= 0 ? '+' : '−'}${Math.abs(d.mean * 100).toFixed(2)}`;
  return d.se === null ? `${head} (n ${d.n})` : `${head} ± ${(d.se * 100).toFixed(2)} (n ${d.n})`;
}

// ---------------------------------------------------------------- chart metrics

const METRIC_LABELS: Record<string, string> = {
  valAcc: 'Validation accuracy',
  trainAcc: 'Training accuracy',
  loss: 'Training loss',
  lr: 'Learning rate',
  imagesPerSec: 'Images per second',
};

/** Per-stage metrics (from the runs' `tbt` and `tet` events), in the order the select lists them. */
const STAGE_METRIC_LABELS: Record<string, string> = {
  'tbt.nmse': 'TBT prediction error (NMSE, mean over layers)',
  'tbt.baselineNmse': 'TBT "no change" baseline NMSE',
  'tbt.cosine': 'TBT prediction cosine',
  'tet.accuracy': 'TET experience accuracy',
  'tet.nll': 'TET experience NLL',
  'tet.ece': 'TET experience ECE',
  'tet.addsToFinal': 'stage taught next to the final teacher (stage check, tet.check: 1 passed, 0 not)',
  'tet.aloneAccuracy': "student alone's validation accuracy (tet.check ahead or ahead-only: a stage is taught when it is above this)",
  'tet.mixture': 'TET mixture beat the raw checkpoint (held-out: 1 yes, 0 no)',
};

/** A metric drawn per stage (x = stage from 1) rather than per student epoch. */
export function isStageMetric(key: string): boolean {
  return key.startsWith('tbt.') || key.startsWith('tet.');
}

/** The per-epoch metrics some run has, known ones first, loss terms after, then the per-stage TBT/TET ones. */
export function metricOptions(runs: readonly CompareRun[]): { key: string; label: string }[] {
  const keys = new Set<string>();
  for (const r of runs) for (const p of r.perEpoch ?? []) for (const k of Object.keys(p.values)) keys.add(k);
  const stageKeys = new Set<string>();
  for (const r of runs) for (const p of r.perStage ?? []) for (const k of Object.keys(p.values)) stageKeys.add(k);
  if (keys.size === 0) keys.add('valAcc');
  const known = Object.keys(METRIC_LABELS).filter((k) => keys.has(k));
  const terms = [...keys].filter((k) => k.startsWith('term.')).sort();
  const stages = Object.keys(STAGE_METRIC_LABELS).filter((k) => stageKeys.has(k));
  return [
    ...[...known, ...terms].map((key) => ({ key, label: METRIC_LABELS[key] ?? `Loss term: ${key.slice(5)}` })),
    ...stages.map((key) => ({ key, label: `${STAGE_METRIC_LABELS[key] as string}, per stage` })),
  ];
}

export function isAccuracyMetric(key: string): boolean {
  return key === 'valAcc' || key === 'trainAcc' || key === 'tet.accuracy';
}

/** One run's series of a metric; a run without `perEpoch` still has its validation curve. */
export function metricSeries(run: CompareRun, key: string): { x: number; y: number }[] {
  if (isStageMetric(key)) {
    const points = (run.perStage ?? []).filter((p) => Number.isFinite(p.values[key])).map((p) => ({ x: p.stage, y: p.values[key] as number }));
    return isAccuracyMetric(key) ? points.map((p) => ({ x: p.x, y: frac(p.y) as number })) : points;
  }
  const points = run.perEpoch
    ? run.perEpoch.filter((p) => Number.isFinite(p.values[key])).map((p) => ({ x: p.epoch, y: p.values[key] as number }))
    : key === 'valAcc'
      ? run.curve.map((p) => ({ x: p.epoch, y: p.valAcc }))
      : [];
  return isAccuracyMetric(key) ? points.map((p) => ({ x: p.x, y: frac(p.y) as number })) : points;
}

/** TensorBoard's smoothing: an exponential moving average, debiased at the start; weight 0 is the raw series. */
export function smooth(values: readonly number[], weight: number): number[] {
  const w = Math.min(Math.max(weight, 0), 0.999);
  if (w === 0) return [...values];
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    last = last * w + (1 - w) * v;
    n++;
    return last / (1 - w ** n);
  });
}

// ---------------------------------------------------------------- view state

export const DEFAULT_VIEW: CompareViewState = { sortKey: 'studentAcc', sortDir: 'desc', groupBy: 'none', metric: 'valAcc', logScale: false, smoothing: 0, filter: '' };

/** Longest filter a saved state may hold (it is typed by hand). */
export const MAX_FILTER = 500;

/** A saved view state, field by field: what is not valid falls back to the default. */
export function parseViewState(v: unknown): CompareViewState {
  const o = typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  return {
    sortKey: typeof o.sortKey === 'string' && columnOf(o.sortKey) ? o.sortKey : DEFAULT_VIEW.sortKey,
    sortDir: o.sortDir === 'asc' || o.sortDir === 'desc' ? o.sortDir : DEFAULT_VIEW.sortDir,
    groupBy: typeof o.groupBy === 'string' && (o.groupBy === 'none' || groupColumn(o.groupBy)) ? o.groupBy : DEFAULT_VIEW.groupBy,
    metric: typeof o.metric === 'string' && (/^(valAcc|trainAcc|loss|lr|imagesPerSec|term\.[\w.-]{1,60})$/.test(o.metric) || Object.hasOwn(STAGE_METRIC_LABELS, o.metric)) ? o.metric : DEFAULT_VIEW.metric,
    logScale: typeof o.logScale === 'boolean' ? o.logScale : DEFAULT_VIEW.logScale,
    smoothing: typeof o.smoothing === 'number' && o.smoothing >= 0 && o.smoothing <= 0.95 ? o.smoothing : DEFAULT_VIEW.smoothing,
    filter: typeof o.filter === 'string' && o.filter.length <= MAX_FILTER ? o.filter : DEFAULT_VIEW.filter,
  };
}

/** A click on a header: the same column flips its direction; a new one starts descending for metrics, ascending for text. */
export function nextSort(view: Pick<CompareViewState, 'sortKey' | 'sortDir'>, key: string): Pick<CompareViewState, 'sortKey' | 'sortDir'> {
  if (view.sortKey === key) return { sortKey: key, sortDir: view.sortDir === 'asc' ? 'desc' : 'asc' };
  const kind = columnOf(key)?.kind;
  return { sortKey: key, sortDir: kind === 'text' ? 'asc' : 'desc' };
}

/** The group column's name in the "group by" list: a sweep's groups, or a methods bench's methods. */
export function groupColumnLabel(source: CompareSweep | undefined): string {
  if (!source) return 'sweep group';
  return source.source === 'bench' ? `method (bench ${source.name})` : `sweep group (${source.name})`;
}

/** The command whose report the group rows' paired differences come from. */
export function reportCommand(source: CompareSweep | undefined): string {
  return source?.source === 'bench' ? 'skd bench methods --report' : 'skd sweep report';
}

/**
 * The group chart's series (pure): per group, in the table's order, the mean of the student's test
 * accuracy at x = its index, and its ± std as a vertical bar from mean − std to mean + std.
 * Groups without a finished run are left out.
 */
export function groupAccuracySeries(groups: readonly RowGroup[]): { labels: string[]; means: Point[]; bars: Point[][] } {
  const labels: string[] = [];
  const means: Point[] = [];
  const bars: Point[][] = [];
  for (const g of groups) {
    const s = g.stats.studentAcc;
    if (!s || s.n === 0 || !Number.isFinite(s.mean)) continue;
    const x = labels.length;
    labels.push(g.key);
    means.push({ x, y: s.mean });
    bars.push([
      { x, y: s.mean - s.std },
      { x, y: s.mean + s.std },
    ]);
  }
  return { labels, means, bars };
}
