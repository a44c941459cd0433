import * as path from 'node:path';
import { HELD_OUT_NOTE, readSweepReport } from '../sweep/report';
import { runDirOf } from '../sweep/plan';
import { attachPerImageRecords, formatDiff, formatDiffBoth, imageSetsOf, IMAGES_NOTE, methodRows, perImageRecordsOf, readRunExperiment, readRunRecord, SPLITS, type ImageSets, type MethodDiffs, type MethodRow, type MethodsBenchReport, type Split } from './methods';
import { imageSe, pairedDiff } from './pairedStats';

/**
 * `skd bench methods --pool <bench dir>...`: one method table's paired differences over several
 * settings at once (data sets, teachers, student families). A difference of 0.3 points that one
 * setting of 5 seeds cannot tell from 0 may be clear over four such settings; and a gain that
 * shows in one setting only is seen as such. Each bench keeps its pairing (same teacher, same
 * seed); the pooled figure is the mean of every per-seed difference of every bench, with its
 * standard error over all of them (std / sqrt(n)), so a bench with more seeds weighs more.
 * A sweep folder pools too (`sweepAsMethods`): its groups are its methods, so a study of settings
 * (examples/study/) run on several regimes pools against its reference group (`--reference`).
 */

export type PooledCell = MethodDiffs;

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
  /**
   * Against the reference, pooled: with `--reference`, every method but the reference itself;
   * without, each SKD ablation (`skd-no-...`) against full SKD, each of which should be below it.
   */
  vsReference?: PooledCell;
}

export interface PooledReport {
  benchDirs: string[];
  /** The method the `vsReference` cells are against. */
  reference: string;
  /** Given on the command line (every method is set against it), or the default for ablations. */
  referenceGiven: boolean;
  rows: PooledRow[];
}

/** Per-seed accuracies of one method in one bench, keyed so that benches never share a key. */
function keyed(row: MethodRow | undefined, split: Split, bench: number, out: Map<number, number>): void {
  if (!row) return;
  // Seeds are at most 100 (`--seeds`), so bench * 1000 + seed is unique over benches.
  for (const [seed, acc] of Object.entries(row[split].bySeed)) out.set(bench * 1000 + Number(seed), acc);
}

function pooledCell(reports: readonly MethodsBenchReport[], method: string, ref: string): PooledCell {
  if (method === ref) return {};
  const cell: PooledCell = {};
  for (const split of SPLITS) {
    const mine = new Map<number, number>();
    const theirs = new Map<number, number>();
    reports.forEach((r, i) => {
      keyed(r.rows.find((row) => row.method === method), split, i, mine);
      keyed(r.rows.find((row) => row.method === ref), split, i, theirs);
    });
    const d = pairedDiff(mine, theirs);
    if (!d) continue;
    const seImages = pooledImageSe(reports, method, ref, split, d.n);
    // The keys are bench and seed together; the seeds of a pooled difference mean nothing alone.
    cell[split] = { ...d, seeds: [], ...(seImages === undefined ? {} : { seImages }) };
  }
  return cell;
}

/**
 * The images' share of a pooled difference's standard error. The pooled mean weighs bench b's
 * mean difference by n_b / N (its pairs of all N). Benches scored on other images are their own
 * samples, so their variances add with those weights squared; benches scored on the same images
 * (the same data's test split, or the same draw's validation images: `imageSets`) are one
 * sample, so their per-image differences are averaged first, over all their pairs, and that
 * mean's standard error over the images counts once. Undefined unless every bench that has pairs
 * has its images' standard error (and, where it shares its images, its per-image records).
 */
function pooledImageSe(reports: readonly MethodsBenchReport[], method: string, ref: string, split: Split, total: number): number | undefined {
  const groups = new Map<string, { report: MethodsBenchReport; seeds: number[] }[]>();
  for (const [i, r] of reports.entries()) {
    const mine = r.rows.find((row) => row.method === method);
    const theirs = r.rows.find((row) => row.method === ref);
    if (!mine || !theirs) continue;
    const seeds = Object.keys(mine[split].bySeed).filter((seed) => seed in theirs[split].bySeed).map(Number);
    if (seeds.length === 0) continue;
    const key = r.imageSets ? (split === 'test' ? r.imageSets.test : r.imageSets.val) : `bench ${i}`;
    groups.set(key, [...(groups.get(key) ?? []), { report: r, seeds }]);
  }
  let variance = 0;
  for (const group of groups.values()) {
    const pairs = group.reduce((a, b) => a + b.seeds.length, 0);
    const se = group.length === 1 ? group[0].report.rows.find((row) => row.method === method)!.imageSe?.[ref]?.[split] : sharedImageSe(group, method, ref, split);
    if (se === undefined) return undefined;
    variance += (pairs / total) ** 2 * se ** 2;
  }
  return Math.sqrt(variance);
}

/** `imageSe` over several benches scored on the same images: per image, the mean over all their pairs. */
function sharedImageSe(group: readonly { report: MethodsBenchReport; seeds: number[] }[], method: string, ref: string, split: Split): number | undefined {
  const mine = new Map<number, Uint8Array>();
  const theirs = new Map<number, Uint8Array>();
  const seeds: number[] = [];
  for (const [b, { report, seeds: paired }] of group.entries()) {
    const records = perImageRecordsOf(report);
    for (const seed of paired) {
      const x = records?.get(method)?.get(seed)?.[split];
      const y = records?.get(ref)?.get(seed)?.[split];
      if (!x || !y) return undefined;
      // Keyed as the pooled differences are: bench * 1000 + seed.
      mine.set(b * 1000 + seed, x);
      theirs.set(b * 1000 + seed, y);
      seeds.push(b * 1000 + seed);
    }
  }
  return imageSe(mine, theirs, seeds);
}

/** The methods of every report (in the first report's order, then any others), pooled over the reports. */
export function poolReports(reports: readonly MethodsBenchReport[], opts: { reference?: string } = {}): PooledReport {
  const reference = opts.reference ?? 'skd';
  const methods = [...new Set(reports.flatMap((r) => r.rows.filter((row) => row.runs > 0).map((row) => row.method)))];
  const rows = methods.map((method): PooledRow => {
    const benches = reports.flatMap((r): PooledBench[] => {
      const row = r.rows.find((x) => x.method === method && x.runs > 0);
      if (!row) return [];
      return [{ benchDir: r.benchDir, label: benchLabel(r), vsKd: row.vsKd, vsNone: row.vsNone }];
    });
    const row: PooledRow = { method, benches, pooled: { vsKd: pooledCell(reports, method, 'kd'), vsNone: pooledCell(reports, method, 'none') } };
    if (opts.reference !== undefined ? method !== reference : isAblation(method)) row.vsReference = pooledCell(reports, method, reference);
    return row;
  });
  return { benchDirs: reports.map((r) => r.benchDir), reference, referenceGiven: opts.reference !== undefined, rows };
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
  const against = p.rows.filter((row) => row.vsReference?.test);
  if (against.length) {
    const name = p.reference === 'skd' ? 'SKD' : p.reference;
    const heldRef = against.some((row) => row.vsReference!.heldOutVal);
    const bothRef = against.some((row) => SPLITS.some((s) => row.vsReference![s]?.seImages !== undefined));
    lines.push(
      '',
      `| ${p.referenceGiven ? 'method' : 'ablation'} | n | Δ test vs ${name} | Δ val vs ${name} |${heldRef ? ` Δ held-out val vs ${name} |` : ''}${bothRef ? ` Δ test vs ${name}, seeds and images | Δ held-out val vs ${name}, seeds and images |` : ''}`,
      `|---|---|---|---|${heldRef ? '---|' : ''}${bothRef ? '---|---|' : ''}`,
    );
    for (const row of against) {
      const r = row.vsReference!;
      lines.push(`| ${row.method} | ${r.test!.n} | ${formatDiff(r.test)} | ${formatDiff(r.val)} |${heldRef ? ` ${formatDiff(r.heldOutVal)} |` : ''}${bothRef ? ` ${formatDiffBoth(r.test)} | ${formatDiffBoth(r.heldOutVal)} |` : ''}`);
    }
  }
  // Benches recorded before the held-out figure existed have none: its table shows only when some bench has it.
  const held = p.rows.flatMap((row) => {
    const cells = [...row.benches.map((b) => ({ bench: String(benches.get(b.benchDir)), kd: b.vsKd, none: b.vsNone }))];
    if (row.benches.length > 1) cells.push({ bench: 'pooled', kd: row.pooled.vsKd, none: row.pooled.vsNone });
    return cells.filter((c) => c.kd.heldOutVal || c.none.heldOutVal).map((c) => ({ method: row.method, ...c }));
  });
  if (held.length) {
    lines.push(
      '',
      '| method | bench | n | Δ held-out val vs KD | Δ held-out val vs none | Δ test vs KD, seeds and images | Δ held-out val vs KD, seeds and images |',
      '|---|---|---|---|---|---|---|',
    );
    for (const c of held) {
      lines.push(`| ${c.method} | ${c.bench} | ${c.kd.heldOutVal?.n ?? c.none.heldOutVal?.n ?? '—'} | ${formatDiff(c.kd.heldOutVal)} | ${formatDiff(c.none.heldOutVal)} | ${formatDiffBoth(c.kd.test)} | ${formatDiffBoth(c.kd.heldOutVal)} |`);
    }
  }
  lines.push(
    '',
    'Δ: mean of the per-seed differences in points ± its standard error, t = Δ / SE; pooled: every per-seed difference of every bench (each paired within its bench).',
    ...(held.length ? [HELD_OUT_NOTE, IMAGES_NOTE] : []),
  );
  return lines.join('\n') + '\n';
}

/** A sweep folder's finished runs as a method table: each group is a method, paired by seed. */
export function sweepAsMethods(sweepDir: string): MethodsBenchReport {
  const sweep = readSweepReport(sweepDir);
  const groups = sweep.groups.map((g) => g.group);
  const records = sweep.runs.map((r) => {
    const dir = runDirOf(sweep.dir, r.name);
    // The per-image records, for the images' share of the standard errors, as a bench reads them.
    const perImage = readRunRecord(dir)?.perImage;
    return { name: r.name, dir, method: r.group, seed: r.seed, testAcc: r.testAcc, valAcc: r.valAcc, heldOutValAcc: r.heldOutValAcc, perImage, seconds: r.seconds, epochSeconds: NaN, studentParams: 0, teacherTestAcc: 0, teacherParams: 0 };
  });
  // Its runs' images, where every run was scored on the same ones (a sweep may vary its data).
  const sets = new Set(
    records.map((r) => {
      const exp = readRunExperiment(r.dir);
      return exp ? JSON.stringify(imageSetsOf(exp)) : 'unknown';
    }),
  );
  const only = sets.size === 1 ? [...sets][0] : 'unknown';
  const imageSets = only === 'unknown' ? undefined : (JSON.parse(only) as ImageSets);
  const report: MethodsBenchReport = {
    benchDir: sweep.dir,
    command: '',
    cwd: '',
    baseFile: '',
    data: { description: `sweep ${sweep.sweep}` },
    notes: [],
    teacher: { dir: '', model: sweep.teachers.map((t) => t.name).join(', ') || 'per run', testAcc: sweep.teachers[0]?.testAcc ?? null, params: null, seconds: null },
    student: { model: 'per group', params: null, epochs: 0 },
    seeds: sweep.seeds,
    methods: groups,
    rows: methodRows(groups, records),
    missing: sweep.missing,
    secondsPerRun: null,
    ...(imageSets ? { imageSets } : {}),
  };
  return attachPerImageRecords(report, records);
}
