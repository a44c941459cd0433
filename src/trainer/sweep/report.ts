import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EpochEvent, Summary } from '../../protocol/runDir';
import { SWEEP_FILES, type OverrideMap, type SweepPlan } from '../../protocol/sweep';
import { meanStd, pairedDiff, type PairedDiff } from '../bench/pairedStats';
import { InputError } from '../errors';
import { validationRecords } from '../runDir/heldOutValidation';
import { readMetricsFrom } from '../runDir/metricsLog';
import { readStatus, readSummary } from '../runDir/runFiles';
import { writeFileAtomic, writeJsonAtomic } from '../runDir/atomicFile';
import { readPlan, runDirOf } from './plan';

/**
 * The table a sweep ends in: for each group, the mean ± sample std of the students' test (and
 * best validation) accuracy over seeds, and the paired difference against a baseline group over
 * the seeds both have (same seed: same data order and initial weights; same shared teacher).
 * Pure statistics over finished runs; unfinished runs are listed, never guessed.
 */

export interface SweepRunRecord {
  name: string;
  group: string;
  seed: number;
  testAcc: number;
  /** Best validation accuracy of the student (its selected epoch); null without epoch events. */
  valAcc: number | null;
  /** The same with the epoch selection held out (`heldOutValAcc`); null for runs recorded before it. */
  heldOutValAcc: number | null;
  seconds: number;
}

export interface GroupStats {
  group: string;
  set: OverrideMap;
  runs: number;
  seeds: number[];
  test: { mean: number; std: number; bySeed: Record<string, number> };
  val: { mean: number; std: number };
  /** Validation accuracy with the epoch selection held out; NaN for runs recorded before it. */
  heldOutVal: { mean: number; std: number };
  /** This group minus the baseline, paired by seed (fractions); absent for the baseline itself. */
  vsBaseline?: { test?: PairedDiff; val?: PairedDiff; heldOutVal?: PairedDiff };
  /** Mean wall seconds of a run. */
  seconds: number;
}

export interface SweepReport {
  sweep: string;
  dir: string;
  baseline: string;
  seeds: number[];
  teacherSharing: string;
  teachers: { name: string; state: string; testAcc: number | null; seconds: number | null }[];
  groups: GroupStats[];
  runs: SweepRunRecord[];
  /** Planned runs without a finished summary: `name (state)`. */
  missing: string[];
}

function validation(dir: string): Pick<SweepRunRecord, 'valAcc' | 'heldOutValAcc'> {
  const v = validationRecords(readMetricsFrom(dir).events.filter((e): e is EpochEvent => e.type === 'epoch' && e.network === 'student'));
  return { valAcc: v.best, heldOutValAcc: v.heldOut };
}

/** The statistics of a set of records (pure). */
export function groupStats(groups: { name: string; set: OverrideMap }[], records: SweepRunRecord[], baseline: string): GroupStats[] {
  const bySeed = (g: string, pick: (r: SweepRunRecord) => number | null) => {
    const m = new Map<number, number>();
    for (const r of records) {
      const v = pick(r);
      if (r.group === g && v !== null) m.set(r.seed, v);
    }
    return m;
  };
  const baseTest = bySeed(baseline, (r) => r.testAcc);
  const baseVal = bySeed(baseline, (r) => r.valAcc);
  const baseHeldOut = bySeed(baseline, (r) => r.heldOutValAcc);
  return groups.map((g) => {
    const test = bySeed(g.name, (r) => r.testAcc);
    const val = bySeed(g.name, (r) => r.valAcc);
    const heldOut = bySeed(g.name, (r) => r.heldOutValAcc);
    const mine = records.filter((r) => r.group === g.name);
    const ts = meanStd([...test.values()]);
    const vs = meanStd([...val.values()]);
    const hs = meanStd([...heldOut.values()]);
    return {
      group: g.name,
      set: g.set,
      runs: test.size,
      seeds: [...test.keys()].sort((a, b) => a - b),
      test: { mean: ts.mean, std: ts.std, bySeed: Object.fromEntries([...test].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v])) },
      val: { mean: vs.mean, std: vs.std },
      heldOutVal: { mean: hs.mean, std: hs.std },
      ...(g.name === baseline ? {} : { vsBaseline: { test: pairedDiff(test, baseTest), val: pairedDiff(val, baseVal), heldOutVal: pairedDiff(heldOut, baseHeldOut) } }),
      seconds: mine.length ? mine.reduce((a, r) => a + r.seconds, 0) / mine.length : NaN,
    };
  });
}

/** Reads every finished run of a sweep folder into its report. */
export function readSweepReport(sweepDir: string, opts: { baseline?: string } = {}): SweepReport {
  const dir = path.resolve(sweepDir);
  if (!fs.existsSync(dir)) throw new InputError(dir, undefined, 'no such sweep folder');
  const plan: SweepPlan = readPlan(dir);
  const baseline = opts.baseline ?? plan.baseline ?? plan.groups[0]?.name ?? '';
  if (!plan.groups.some((g) => g.name === baseline)) {
    throw new InputError('command line', '--baseline', `no group named "${baseline}" (groups: ${plan.groups.map((g) => g.name).join(', ')})`);
  }
  const records: SweepRunRecord[] = [];
  const missing: string[] = [];
  const teachers: SweepReport['teachers'] = [];
  for (const r of plan.runs) {
    const runDir = runDirOf(dir, r.name);
    const status = readStatus(runDir);
    const s: Summary | undefined = status?.state === 'done' ? readSummary(runDir) : undefined;
    if (r.kind === 'teacher') {
      teachers.push({ name: r.name, state: status?.state ?? 'not started', testAcc: s?.teacher.testAcc ?? null, seconds: s?.seconds ?? null });
    } else if (s) {
      records.push({ name: r.name, group: r.group ?? '', seed: r.seed, testAcc: s.student.testAcc, ...validation(runDir), seconds: s.seconds });
    }
    if (!s) missing.push(`${r.name} (${status?.state ?? 'not started'})`);
  }
  return {
    sweep: plan.name,
    dir,
    baseline,
    seeds: plan.seeds,
    teacherSharing: plan.teacherSharing,
    teachers,
    groups: groupStats(plan.groups, records, baseline),
    runs: records,
    missing,
  };
}

/** What the held-out validation columns are, for the reports' footnotes. */
export const HELD_OUT_NOTE =
  'held-out val: each half of the validation images (even / odd positions) scores the epoch the other half selects, so no image both chooses and scores; best val, which does both, is biased upwards, and by more for a method whose late epochs swing.';

const pct = (v: number | null | undefined, digits = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : (v * 100).toFixed(digits));

/** A paired difference in points: `+0.62 ± 0.21 (t 2.9, n 3)`; `+0.62 (n 1)` without an error. */
export function formatPaired(d: PairedDiff | undefined): string {
  if (!d) return '—';
  const points = d.mean * 100;
  const head = `${points > 0 ? '+' : points < 0 ? '-' : '±'}${Math.abs(points).toFixed(2)}`;
  if (d.se === null) return `${head} (n ${d.n})`;
  return `${head} ± ${(d.se * 100).toFixed(2)} (t ${d.t === null ? '—' : d.t.toFixed(1)}, n ${d.n})`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
}

export function formatSweepText(r: SweepReport): string {
  const head = [
    `sweep ${r.sweep} (${r.dir})`,
    `seeds ${r.seeds.join(', ')}; teacher ${r.teacherSharing}; baseline ${r.baseline}`,
    ...r.teachers.map((t) => `${t.name}: ${t.state}${t.testAcc !== null ? `, ${pct(t.testAcc)}% test` : ''}${t.seconds !== null ? `, ${t.seconds.toFixed(0)} s` : ''}`),
    '',
  ];
  // Runs recorded before the held-out figure existed have none: its columns show only when some run has it.
  const heldOut = r.runs.some((run) => run.heldOutValAcc !== null);
  const rows = [
    ['group', 'runs', 'test % (mean ± std)', `Δ test vs ${r.baseline} (paired)`, 'best val %', `Δ val vs ${r.baseline}`, ...(heldOut ? ['held-out val %', `Δ held-out val vs ${r.baseline}`] : []), 's / run'],
    ...r.groups.map((g) => [
      g.group,
      String(g.runs),
      g.runs ? `${pct(g.test.mean)} ± ${pct(g.test.std)}` : '—',
      g.vsBaseline ? formatPaired(g.vsBaseline.test) : 'baseline',
      pct(g.val.mean),
      g.vsBaseline ? formatPaired(g.vsBaseline.val) : 'baseline',
      ...(heldOut ? [pct(g.heldOutVal.mean), g.vsBaseline ? formatPaired(g.vsBaseline.heldOutVal) : 'baseline'] : []),
      Number.isFinite(g.seconds) ? g.seconds.toFixed(g.seconds < 10 ? 1 : 0) : '—',
    ]),
  ];
  const foot = [
    '',
    'Δ: mean of the per-seed differences in points ± its standard error (std / √n), t = Δ / SE, over the seeds both groups finished.',
    ...(heldOut ? [HELD_OUT_NOTE] : []),
    ...(r.missing.length ? [`unfinished (${r.missing.length}): ${r.missing.join(', ')}`] : []),
  ];
  return [...head, ...table(rows), ...foot].join('\n') + '\n';
}

const csvCell = (v: string | number | null | undefined) => {
  const s = v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
const num = (v: number | null | undefined, scale = 100) => (v === null || v === undefined || !Number.isFinite(v) ? '' : Number((v * scale).toFixed(4)));

/** One line per group; accuracies and differences in percent points. */
export function formatSweepCsv(r: SweepReport): string {
  const header = ['group', 'settings', 'runs', 'seeds', 'test_mean_pct', 'test_std_pct', 'val_mean_pct', 'val_std_pct', 'baseline', 'diff_test_mean_pts', 'diff_test_se_pts', 'diff_test_t', 'diff_test_n', 'diff_val_mean_pts', 'diff_val_se_pts', 'seconds_per_run', 'held_out_val_mean_pct', 'diff_held_out_val_mean_pts', 'diff_held_out_val_se_pts'];
  const lines = r.groups.map((g) => {
    const d = g.vsBaseline?.test;
    const dv = g.vsBaseline?.val;
    const dh = g.vsBaseline?.heldOutVal;
    return [
      g.group,
      JSON.stringify(g.set),
      g.runs,
      g.seeds.join(' '),
      num(g.test.mean),
      num(g.test.std),
      num(g.val.mean),
      num(g.val.std),
      r.baseline,
      num(d?.mean),
      num(d?.se),
      d?.t === null || d?.t === undefined ? '' : Number(d.t.toFixed(4)),
      d?.n ?? '',
      num(dv?.mean),
      num(dv?.se),
      Number.isFinite(g.seconds) ? Number(g.seconds.toFixed(2)) : '',
      num(g.heldOutVal.mean),
      num(dh?.mean),
      num(dh?.se),
    ]
      .map(csvCell)
      .join(',');
  });
  return [header.join(','), ...lines].join('\n') + '\n';
}

/** Writes report.txt, report.csv and report.json into the sweep folder and returns the report. */
export function writeSweepReport(sweepDir: string, opts: { baseline?: string } = {}): SweepReport {
  const r = readSweepReport(sweepDir, opts);
  writeFileAtomic(path.join(r.dir, SWEEP_FILES.reportText), formatSweepText(r));
  writeFileAtomic(path.join(r.dir, SWEEP_FILES.reportCsv), formatSweepCsv(r));
  writeJsonAtomic(path.join(r.dir, SWEEP_FILES.reportJson), r);
  return r;
}
