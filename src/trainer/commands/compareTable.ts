/**
 * The experiments table of `skd compare`: one row per run (finished or not) with its
 * hyperparameters, final metrics and provenance; sortable by any column, groupable by any column
 * with mean ± std of the metrics; printed as text, JSON or CSV.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isTeacherRun, type Experiment, type ModelSpec } from '../../protocol/experiment';
import { RUN_FILES, type RunState } from '../../protocol/runDir';
import { InputError } from '../errors';
import { readProvenance, provenanceCell, type ProvenanceFile } from '../engine/provenance';
import { readRunInfo, readSummary } from '../runDir/runFiles';
import { readJson } from '../runDir/atomicFile';
import { meanStd, type MeanStd } from '../../protocol/stats';

export interface CompareRow {
  dir: string;
  run: string;
  name: string;
  state: RunState;
  method: string;
  seed?: number;
  temperature?: number;
  alpha?: number;
  studentEpochs?: number;
  stages?: number;
  teacherModel?: string;
  studentModel?: string;
  data?: string;
  /** Final test accuracies (fractions) and gain (student - student alone), from summary.json. */
  teacher?: number;
  studentAlone?: number;
  student?: number;
  gain?: number;
  studentParams?: number;
  seconds?: number;
  provenance?: ProvenanceFile;
}

type Kind = 'text' | 'number' | 'acc' | 'gain' | 'seconds';
interface Column {
  key: keyof CompareRow;
  header: string;
  kind: Kind;
}

export const COLUMNS: readonly Column[] = [
  { key: 'run', header: 'run', kind: 'text' },
  { key: 'state', header: 'state', kind: 'text' },
  { key: 'method', header: 'method', kind: 'text' },
  { key: 'seed', header: 'seed', kind: 'number' },
  { key: 'temperature', header: 'T', kind: 'number' },
  { key: 'alpha', header: 'alpha', kind: 'number' },
  { key: 'studentEpochs', header: 'epochs', kind: 'number' },
  { key: 'stages', header: 'stages', kind: 'number' },
  { key: 'teacherModel', header: 'teacher model', kind: 'text' },
  { key: 'studentModel', header: 'student model', kind: 'text' },
  { key: 'data', header: 'data', kind: 'text' },
  { key: 'teacher', header: 'teacher', kind: 'acc' },
  { key: 'studentAlone', header: 'alone', kind: 'acc' },
  { key: 'student', header: 'student', kind: 'acc' },
  { key: 'gain', header: 'gain', kind: 'gain' },
  { key: 'seconds', header: 'seconds', kind: 'seconds' },
  { key: 'provenance', header: 'provenance', kind: 'text' },
];

/** Metrics averaged over a group. */
const METRICS: readonly (keyof CompareRow)[] = ['teacher', 'studentAlone', 'student', 'gain', 'seconds'];
const ALIASES: Record<string, keyof CompareRow> = {
  t: 'temperature',
  epochs: 'studentEpochs',
  alone: 'studentAlone',
  teacheracc: 'teacher',
  studentacc: 'student',
  studentaloneacc: 'studentAlone',
  time: 'seconds',
  git: 'provenance',
};

/** A column named on the command line: its key or header, any case, `-`/`_`/spaces ignored. */
export function columnNamed(name: string, option: string): Column {
  const norm = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
  const n = norm(name);
  const key = ALIASES[n] ?? COLUMNS.find((c) => norm(c.key) === n || norm(c.header) === n)?.key;
  const col = COLUMNS.find((c) => c.key === key);
  if (!col) throw new InputError('command line', option, `unknown column "${name}" (columns: ${COLUMNS.map((c) => c.key).join(', ')})`);
  return col;
}

function modelName(spec: ModelSpec | undefined): string | undefined {
  if (!spec || typeof spec.model !== 'string') return undefined;
  return `${spec.model}${spec.depth !== undefined ? `-${spec.depth}` : ''}${spec.width !== undefined ? `x${spec.width}` : ''}`;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** One row per run directory; an unfinished run is a row with its state and no metrics. */
export function compareRows(dirs: string[]): CompareRow[] {
  return dirs.map((dir) => {
    const info = readRunInfo(dir);
    if (!info) throw new InputError(dir, undefined, fs.existsSync(dir) ? 'not a run directory (no status.json)' : 'does not exist');
    let exp: Partial<Experiment> = {};
    try {
      const v = readJson<Partial<Experiment>>(path.join(dir, RUN_FILES.experiment));
      if (v && typeof v === 'object') exp = v;
    } catch {
      // A row without hyperparameters rather than no row.
    }
    const s = info.status.state === 'done' ? readSummary(dir) : undefined;
    const teacher = exp.teacher;
    const row: CompareRow = {
      dir,
      run: path.basename(dir),
      name: s?.name ?? info.name,
      state: info.status.state,
      method: s?.method ?? info.method,
      seed: num(s?.seed) ?? info.seed,
      temperature: num(exp.method?.temperature),
      alpha: num(exp.method?.alpha),
      studentEpochs: num(exp.student?.epochs),
      stages: num(exp.method?.stages),
      teacherModel: teacher ? (isTeacherRun(teacher) ? `run:${path.basename(teacher.run)}` : modelName(teacher)) : undefined,
      studentModel: modelName(exp.student),
      data: s?.data ?? exp.data?.name ?? exp.data?.format,
      teacher: num(s?.teacher?.testAcc),
      studentAlone: num(s?.studentAlone?.testAcc),
      student: num(s?.student?.testAcc),
      gain: num(s?.gain),
      studentParams: num(s?.student?.params),
      seconds: num(s?.seconds),
      provenance: readProvenance(dir),
    };
    for (const k of Object.keys(row) as (keyof CompareRow)[]) if (row[k] === undefined) delete row[k];
    return row;
  });
}

/** Accuracies and gains sort best first; everything else ascending; missing values last. */
export function sortRows<T extends Partial<Record<keyof CompareRow, unknown>>>(rows: T[], col: Column, value: (r: T) => unknown = (r) => r[col.key]): T[] {
  const desc = col.kind === 'acc' || col.kind === 'gain';
  const cmp = (a: unknown, b: unknown): number => {
    if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
    if (typeof a === 'number' && typeof b === 'number') return desc ? b - a : a - b;
    return String(a).localeCompare(String(b), 'en', { numeric: true });
  };
  return [...rows].sort((x, y) => cmp(sortable(value(x)), sortable(value(y))));
}

function sortable(v: unknown): unknown {
  if (v && typeof v === 'object' && 'mean' in v) return (v as Stat).mean;
  if (v && typeof v === 'object' && 'skdLab' in v) return provenanceCell(v as ProvenanceFile);
  return v;
}

export type Stat = MeanStd;

export interface CompareGroup {
  /** The grouping column and its value in this group. */
  by: keyof CompareRow;
  value: string;
  runs: number;
  finished: number;
  /** Every other column's value when all runs agree, `*` when they do not. */
  common: Partial<Record<keyof CompareRow, string>>;
  metrics: Partial<Record<keyof CompareRow, Stat>>;
}

/** Sample mean and standard deviation (n - 1; 0 for one value), the one definition of src/protocol/stats.ts; undefined for none. */
export function stat(values: number[]): Stat | undefined {
  const s = meanStd(values);
  return s.n === 0 ? undefined : s;
}

function cellValue(r: CompareRow, key: keyof CompareRow): string {
  const v = r[key];
  if (v === undefined) return '';
  if (key === 'provenance') return provenanceCell(v as ProvenanceFile);
  return String(v);
}

export function groupRows(rows: CompareRow[], by: Column): CompareGroup[] {
  const groups = new Map<string, CompareRow[]>();
  for (const r of rows) {
    const k = cellValue(r, by.key);
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups].map(([value, members]) => {
    const metrics: CompareGroup['metrics'] = {};
    for (const m of METRICS) {
      const s = stat(members.map((r) => r[m]).filter((v): v is number => typeof v === 'number'));
      if (s) metrics[m] = s;
    }
    const common: CompareGroup['common'] = {};
    for (const c of COLUMNS) {
      if (c.key === by.key || METRICS.includes(c.key) || c.key === 'run') continue;
      const values = new Set(members.map((r) => (c.key === 'provenance' ? (r.provenance?.gitCommit ?? '') : cellValue(r, c.key))));
      const only = [...values][0];
      if (values.size > 1) common[c.key] = '*';
      else if (only) common[c.key] = c.key === 'provenance' ? cellValue(members[0], c.key) : only;
    }
    return { by: by.key, value, runs: members.length, finished: members.filter((r) => r.state === 'done').length, common, metrics };
  });
}

function fmt(kind: Kind, v: unknown): string {
  if (v === undefined || v === '') return '-';
  if (typeof v !== 'number') return String(v);
  if (kind === 'acc') return `${(v * 100).toFixed(2)}%`;
  if (kind === 'gain') return `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)} pt`;
  if (kind === 'seconds') return v.toFixed(1);
  return String(v);
}

function fmtStat(kind: Kind, s: Stat | undefined): string {
  if (!s) return '-';
  const scale = kind === 'acc' || kind === 'gain' ? 100 : 1;
  const digits = kind === 'seconds' ? 1 : 2;
  const sign = kind === 'gain' && s.mean >= 0 ? '+' : '';
  const unit = kind === 'acc' ? '%' : kind === 'gain' ? ' pt' : '';
  return `${sign}${(s.mean * scale).toFixed(digits)} ± ${(s.std * scale).toFixed(digits)}${unit}`;
}

function table(header: string[], body: string[][], leftAligned: (i: number) => boolean): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (leftAligned(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n';
}

/** Columns shown in the text table: those with a value in some row (run, state, method always). */
function shownColumns(rows: CompareRow[]): Column[] {
  return COLUMNS.filter((c) => ['run', 'state', 'method'].includes(c.key) || rows.some((r) => r[c.key] !== undefined));
}

export function formatCompare(rows: CompareRow[]): string {
  const cols = shownColumns(rows);
  const body = rows.map((r) => cols.map((c) => (c.key === 'provenance' ? provenanceCell(r.provenance) : fmt(c.kind, r[c.key]))));
  return table(
    cols.map((c) => c.header),
    body,
    (i) => cols[i].kind === 'text',
  );
}

export function formatGroups(groups: CompareGroup[], rows: CompareRow[], by: Column): string {
  const others = shownColumns(rows).filter((c) => c.key !== by.key && c.key !== 'run' && c.key !== 'state' && !METRICS.includes(c.key));
  const metricCols = COLUMNS.filter((c) => METRICS.includes(c.key) && groups.some((g) => g.metrics[c.key]));
  const header = [by.header, 'runs', ...others.map((c) => c.header), ...metricCols.map((c) => c.header)];
  const body = groups.map((g) => [
    g.value || '-',
    g.finished === g.runs ? String(g.runs) : `${g.runs} (${g.finished} done)`,
    ...others.map((c) => g.common[c.key] ?? '-'),
    ...metricCols.map((c) => fmtStat(c.kind, g.metrics[c.key])),
  ]);
  return table(header, body, (i) => i === 0 || (i >= 2 && i < 2 + others.length && others[i - 2].kind === 'text'));
}

const PROVENANCE_FIELDS = ['skdLab', 'node', 'tfjs', 'backend', 'host', 'gitCommit', 'gitDirty'] as const;

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV of the rows: fractions as they are, provenance as `provenance.<field>` columns. */
export function rowsCsv(rows: CompareRow[]): string {
  const plain = COLUMNS.filter((c) => c.key !== 'provenance').map((c) => c.key);
  const keys = ['dir', 'name', ...plain.filter((k) => k !== 'run'), 'studentParams'] as (keyof CompareRow)[];
  const header = ['run', ...keys, ...PROVENANCE_FIELDS.map((f) => `provenance.${f}`)];
  const lines = rows.map((r) => [r.run, ...keys.map((k) => r[k]), ...PROVENANCE_FIELDS.map((f) => r.provenance?.[f])].map(csvCell).join(','));
  return [header.join(','), ...lines].join('\n') + '\n';
}

export function groupsCsv(groups: CompareGroup[]): string {
  const metricKeys = METRICS;
  const commonKeys = COLUMNS.filter((c) => c.key !== 'run' && c.key !== 'state' && !METRICS.includes(c.key)).map((c) => c.key);
  const by = groups[0]?.by ?? 'method';
  const others = commonKeys.filter((k) => k !== by);
  const header = [by, 'runs', 'finished', ...others, ...metricKeys.flatMap((k) => [`${k}.mean`, `${k}.std`, `${k}.n`])];
  const lines = groups.map((g) =>
    [g.value, g.runs, g.finished, ...others.map((k) => g.common[k]), ...metricKeys.flatMap((k) => [g.metrics[k]?.mean, g.metrics[k]?.std, g.metrics[k]?.n])].map(csvCell).join(','),
  );
  return [header.join(','), ...lines].join('\n') + '\n';
}

export interface CompareOptions {
  sort?: string;
  groupBy?: string;
  format?: 'text' | 'json' | 'csv';
}

/** The whole output of `skd compare` for these run directories. */
export function compareOutput(dirs: string[], opts: CompareOptions = {}): string {
  let rows = compareRows(dirs);
  const sortCol = opts.sort !== undefined ? columnNamed(opts.sort, '--sort') : undefined;
  if (sortCol) rows = sortRows(rows, sortCol);
  const format = opts.format ?? 'text';
  if (opts.groupBy !== undefined) {
    const by = columnNamed(opts.groupBy, '--group-by');
    let groups = groupRows(rows, by);
    if (sortCol) groups = sortRows(groups as unknown as Partial<Record<keyof CompareRow, unknown>>[], sortCol, (g) => (g as unknown as CompareGroup).metrics[sortCol.key] ?? (sortCol.key === by.key ? (g as unknown as CompareGroup).value : (g as unknown as CompareGroup).common[sortCol.key])) as unknown as CompareGroup[];
    if (format === 'json') return JSON.stringify(groups, null, 2) + '\n';
    if (format === 'csv') return groupsCsv(groups);
    return formatGroups(groups, rows, by);
  }
  if (format === 'json') return JSON.stringify(rows, null, 2) + '\n';
  if (format === 'csv') return rowsCsv(rows);
  return formatCompare(rows);
}
