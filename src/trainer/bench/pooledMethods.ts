import * as path from 'node:path';
import { formatDiff, type MethodRow, type MethodsBenchReport } from './methods';
import { pairedDiff, type PairedDiff } from './pairedStats';

/**
 * `skd bench methods --pool <bench dir>...`: one method table's paired differences over several
 * settings at once (data sets, teachers, student families). A difference of 0.3 points that one
 * setting of 5 seeds cannot tell from 0 may be clear over four such settings; and a gain that
 * shows in one setting only is seen as such. Each bench keeps its pairing (same teacher, same
 * seed); the pooled figure is the mean of every per-seed difference of every bench, with its
 * standard error over all of them (std / sqrt(n)), so a bench with more seeds weighs more.
 */

export interface PooledCell {
  test?: PairedDiff;
  val?: PairedDiff;
}

export interface PooledBench {
  benchDir: string;
  /** The bench folder's name and its data, e.g. `bench-methods-... (fashion-mnist, 4000 training images)`. */
  label: string;
  vsKd: PooledCell;
  vsNone: PooledCell;
}

export interface PooledRow {
  method: string;
  /** One entry per bench that has this method. */
  benches: PooledBench[];
  pooled: { vsKd: PooledCell; vsNone: PooledCell };
  /** An SKD ablation (`skd-no-...`) against full SKD, pooled: each should be below it. */
  vsSkd?: PooledCell;
}

export interface PooledReport {
  benchDirs: string[];
  rows: PooledRow[];
}

type Split = 'test' | 'val';

/** Per-seed accuracies of one method in one bench, keyed so that benches never share a key. */
function keyed(row: MethodRow | undefined, split: Split, bench: number, out: Map<number, number>): void {
  if (!row) return;
  // Seeds are at most 100 (`--seeds`), so bench * 1000 + seed is unique over benches.
  for (const [seed, acc] of Object.entries(row[split].bySeed)) out.set(bench * 1000 + Number(seed), acc);
}

function pooledCell(reports: readonly MethodsBenchReport[], method: string, ref: string): PooledCell {
  if (method === ref) return {};
  const cell: PooledCell = {};
  for (const split of ['test', 'val'] as const) {
    const mine = new Map<number, number>();
    const theirs = new Map<number, number>();
    reports.forEach((r, i) => {
      keyed(r.rows.find((row) => row.method === method), split, i, mine);
      keyed(r.rows.find((row) => row.method === ref), split, i, theirs);
    });
    const d = pairedDiff(mine, theirs);
    // The keys are bench and seed together; the seeds of a pooled difference mean nothing alone.
    if (d) cell[split] = { ...d, seeds: [] };
  }
  return cell;
}

/** The methods of every report (in the first report's order, then any others), pooled over the reports. */
export function poolReports(reports: readonly MethodsBenchReport[]): PooledReport {
  const methods = [...new Set(reports.flatMap((r) => r.rows.filter((row) => row.runs > 0).map((row) => row.method)))];
  const rows = methods.map((method): PooledRow => {
    const benches = reports.flatMap((r): PooledBench[] => {
      const row = r.rows.find((x) => x.method === method && x.runs > 0);
      if (!row) return [];
      return [{ benchDir: r.benchDir, label: benchLabel(r), vsKd: row.vsKd, vsNone: row.vsNone }];
    });
    const row: PooledRow = { method, benches, pooled: { vsKd: pooledCell(reports, method, 'kd'), vsNone: pooledCell(reports, method, 'none') } };
    if (isAblation(method)) row.vsSkd = pooledCell(reports, method, 'skd');
    return row;
  });
  return { benchDirs: reports.map((r) => r.benchDir), rows };
}

function isAblation(method: string): boolean {
  return method.startsWith('skd-no-');
}

function benchLabel(r: MethodsBenchReport): string {
  return `${path.basename(r.benchDir)} (${r.data.description}; teacher ${r.teacher.model}; student ${r.student.model})`;
}

/** The pooled report as markdown: the benches, then per method each bench's differences and the pooled ones. */
export function formatPooledTable(p: PooledReport): string {
  const benches = new Map<string, number>();
  p.benchDirs.forEach((d, i) => benches.set(d, i + 1));
  const labels = new Map<string, string>();
  for (const row of p.rows) for (const b of row.benches) labels.set(b.benchDir, b.label);
  const lines = [
    ...p.benchDirs.map((d) => `bench ${benches.get(d)}: ${d}${labels.has(d) ? `  ${labels.get(d)!.slice(path.basename(d).length + 1)}` : ''}`),
    '',
    '| method | bench | n | Δ test vs KD | Δ val vs KD | Δ test vs none | Δ val vs none |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const row of p.rows) {
    for (const b of row.benches) {
      const n = b.vsKd.test?.n ?? b.vsNone.test?.n;
      lines.push(`| ${row.method} | ${benches.get(b.benchDir)} | ${n ?? '—'} | ${formatDiff(b.vsKd.test)} | ${formatDiff(b.vsKd.val)} | ${formatDiff(b.vsNone.test)} | ${formatDiff(b.vsNone.val)} |`);
    }
    if (row.benches.length > 1) {
      const c = row.pooled;
      const n = c.vsKd.test?.n ?? c.vsNone.test?.n;
      lines.push(`| **${row.method}** | **pooled** | ${n ?? '—'} | ${formatDiff(c.vsKd.test)} | ${formatDiff(c.vsKd.val)} | ${formatDiff(c.vsNone.test)} | ${formatDiff(c.vsNone.val)} |`);
    }
  }
  const ablations = p.rows.filter((row) => row.vsSkd?.test);
  if (ablations.length) {
    lines.push('', '| ablation | n | Δ test vs SKD | Δ val vs SKD |', '|---|---|---|---|');
    for (const row of ablations) lines.push(`| ${row.method} | ${row.vsSkd!.test!.n} | ${formatDiff(row.vsSkd!.test)} | ${formatDiff(row.vsSkd!.val)} |`);
  }
  lines.push(
    '',
    'Δ: mean of the per-seed differences in points ± its standard error, t = Δ / SE; pooled: every per-seed difference of every bench (each paired within its bench).',
  );
  return lines.join('\n') + '\n';
}
