import * as fs from 'node:fs';
import * as path from 'node:path';
import { BENCH_FILES, type DrawsPlanView } from '../../protocol/bench';
import { isTeacherRun } from '../../protocol/experiment';
import { loadExperimentWithOverrides } from '../config/overrides';
import { InputError } from '../errors';
import { readJson, writeJsonAtomic } from '../runDir/atomicFile';
import { checkNewBench, claimNewFolder, defaultExperimentFile, isBenchDir, meanStd, readMethodsReport, runMethodsBench, skdOverKdLines, SPLITS, type MethodsBenchOptions, type MethodsBenchReport, type Split } from './methods';
import { formatPooledTable, poolReports, type PooledReport } from './pooledMethods';

/**
 * `skd bench methods --data-seeds 2,3,4`: the same bench on several draws of the data. A draw
 * (`data.seed`) picks which training images validate (and which are subsampled, under
 * `data.limit`), so each draw trains its own teacher, then its students paired by seed, in a
 * bench folder of its own (`data-seed-<d>`); the report pools every draw's paired differences.
 * One draw's few hundred validation images cannot tell half a point however many seeds run
 * (docs/method.md, "What the validation and test columns can resolve"); several draws score on
 * more of them, as repeated hold-out validation does. The test split is every draw's, so
 * pooling takes its images' share once (`imageSets`).
 */

const DRAWS_FILE = BENCH_FILES.draws;
const REPORT_FILE = BENCH_FILES.report;
const REPORT_MD = BENCH_FILES.reportMd;

/** The plan of a draws folder (`draws.json`). */
export interface DrawsPlan extends DrawsPlanView {
  version: 1;
  created: string;
  command: string;
  dataSeeds: number[];
  /** Each draw's bench folder, relative to the draws folder. */
  benches: { dataSeed: number; dir: string }[];
}

export interface DrawSummary {
  dataSeed: number;
  benchDir: string;
  teacherTestAcc: number | null;
}

/** Per method, over every run of every draw: how many, and the mean ± std of each split. */
export interface DrawsMethodRow {
  method: string;
  runs: number;
  splits: Partial<Record<Split, { mean: number; std: number }>>;
}

export interface DrawsReport {
  drawsDir: string;
  command: string;
  dataSeeds: number[];
  /** The base data, as the first draw's bench describes it. */
  data: string;
  draws: DrawSummary[];
  methods: DrawsMethodRow[];
  pooled: PooledReport;
  /** Planned runs without a summary: `data seed <d>: <run> (state)`. */
  missing: string[];
  /** The bench was stopped before all its runs ended; only on the report a run returns. */
  stopped?: true;
}

export function isDrawsDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, DRAWS_FILE));
}

function readDrawsPlan(root: string): DrawsPlan {
  const file = path.join(root, DRAWS_FILE);
  if (!fs.existsSync(file)) throw new InputError(root, undefined, `not a draws folder (no ${DRAWS_FILE})`);
  return readJson<DrawsPlan>(file);
}

/** The bench folders of a draws folder, in its draws' order. */
export function drawBenchDirs(drawsDir: string): string[] {
  const root = path.resolve(drawsDir);
  return readDrawsPlan(root).benches.map((b) => path.join(root, b.dir));
}

/** `--data-seeds`: distinct integers, at least one. */
export function parseDataSeeds(raw: string): number[] {
  const parts = raw.split(',').map((s) => s.trim());
  const seeds = parts.map(Number);
  const bad = parts.find((s, i) => s === '' || !Number.isInteger(seeds[i]) || seeds[i] < 0 || seeds[i] > 2 ** 31 - 1);
  if (bad !== undefined) throw new InputError('command line', '--data-seeds', `must be a list of data seeds (integers 0..2147483647) such as 2,3,4, got "${raw}"`);
  if (new Set(seeds).size !== seeds.length) throw new InputError('command line', '--data-seeds', `names a data seed twice: "${raw}"`);
  return seeds;
}

/** The options of one draw's new bench: the base's, its data seed added, in `folder`. */
function drawOptions(opts: MethodsBenchOptions, dataSeed: number, folder: string): MethodsBenchOptions {
  return { ...opts, resume: undefined, folder, overrides: [...(opts.overrides ?? []), { key: 'data.seed', value: dataSeed, source: `--data-seeds ${dataSeed}` }] };
}

/** Runs the bench on every draw (or continues a draws folder with `resume`), then writes the pooled report. */
export async function runDrawsBench(opts: MethodsBenchOptions & { dataSeeds?: number[] }): Promise<DrawsReport> {
  let root: string;
  let plan: DrawsPlan;
  if (opts.resume) {
    root = path.resolve(opts.resume);
    plan = readDrawsPlan(root);
  } else {
    const dataSeeds = opts.dataSeeds ?? [];
    if (dataSeeds.length === 0) throw new InputError('command line', '--data-seeds', 'needs at least one data seed');
    const file = path.resolve(opts.experiment ?? defaultExperimentFile());
    const base = loadExperimentWithOverrides(file, opts.overrides);
    // A recorded teacher was trained on one draw; every draw here needs its own.
    if (isTeacherRun(base.teacher)) throw new InputError(file, 'teacher.run', 'reuses a trained teacher, but every draw of --data-seeds trains its own: give the teacher network instead');
    if (opts.overrides?.some((o) => o.key === 'data.seed')) throw new InputError('command line', '--set data.seed', 'give the draws with --data-seeds only');
    // Every draw's experiments are checked before a folder is claimed, so bad input leaves none.
    for (const d of dataSeeds) checkNewBench(drawOptions(opts, d, path.resolve(opts.outDir ?? 'runs', 'bench-draws', `data-seed-${d}`)));
    root = claimNewFolder(path.resolve(opts.outDir ?? 'runs'), 'bench-draws');
    plan = { version: 1, created: new Date().toISOString(), command: opts.command ?? '', dataSeeds, benches: dataSeeds.map((d) => ({ dataSeed: d, dir: `data-seed-${d}` })) };
    writeJsonAtomic(path.join(root, DRAWS_FILE), plan);
  }
  opts.log(`draws folder: ${root} (data seeds ${plan.dataSeeds.join(', ')})`);

  // Draws run side by side, the runs at once shared among them: two draws on two cores train
  // their two teachers at once, rather than one teacher while a core waits.
  const atOnce = Math.max(1, Math.min(opts.parallel, plan.benches.length));
  const perDraw = Math.max(1, Math.floor(opts.parallel / atOnce));
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < plan.benches.length && !opts.signal?.aborted) {
      const { dataSeed, dir } = plan.benches[next++];
      const folder = path.join(root, dir);
      const log = (line: string) => opts.log(`data seed ${dataSeed}: ${line}`);
      const started = isBenchDir(folder);
      try {
        await runMethodsBench({ ...(started ? { ...opts, resume: folder } : drawOptions(opts, dataSeed, folder)), parallel: perDraw, log });
      } catch (e) {
        failures.push(`data seed ${dataSeed}: ${(e as Error).message}`);
        log(`failed: ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: atOnce }, worker));
  if (opts.signal?.aborted) {
    opts.log(`stopped; skd bench methods --resume ${root} continues it`);
    return { ...writeDrawsReport(root), stopped: true };
  }
  const report = writeDrawsReport(root);
  if (failures.length) opts.log(`${failures.length} draw(s) failed:\n  ${failures.join('\n  ')}`);
  return report;
}

/** The report of a draws folder from its benches' run directories (finished runs only). */
export function readDrawsReport(drawsDir: string): DrawsReport {
  const root = path.resolve(drawsDir);
  const plan = readDrawsPlan(root);
  const benches: { dataSeed: number; report: MethodsBenchReport }[] = [];
  const missing: string[] = [];
  for (const b of plan.benches) {
    const dir = path.join(root, b.dir);
    if (!isBenchDir(dir)) {
      missing.push(`data seed ${b.dataSeed}: the whole draw (not started)`);
      continue;
    }
    const report = readMethodsReport(dir);
    benches.push({ dataSeed: b.dataSeed, report });
    missing.push(...report.missing.map((m) => `data seed ${b.dataSeed}: ${m}`));
  }
  const reports = benches.map((b) => b.report);
  const methods = [...new Set(reports.flatMap((r) => r.methods))];
  return {
    drawsDir: root,
    command: plan.command,
    dataSeeds: plan.dataSeeds,
    data: reports[0]?.data.description ?? '',
    draws: benches.map((b) => ({ dataSeed: b.dataSeed, benchDir: b.report.benchDir, teacherTestAcc: b.report.teacher.testAcc })),
    methods: methods.map((method) => drawsMethodRow(method, reports)),
    pooled: poolReports(reports),
    missing,
  };
}

function drawsMethodRow(method: string, reports: readonly MethodsBenchReport[]): DrawsMethodRow {
  const rows = reports.map((r) => r.rows.find((row) => row.method === method)).filter((row) => row !== undefined);
  const splits: DrawsMethodRow['splits'] = {};
  for (const split of SPLITS) {
    const values = rows.flatMap((row) => Object.values(row[split].bySeed));
    if (values.length) splits[split] = meanStd(values);
  }
  return { method, runs: rows.reduce((a, row) => a + row.runs, 0), splits };
}

/** Reads the draws folder's report and writes it as report.json and report.md. */
export function writeDrawsReport(drawsDir: string): DrawsReport {
  const report = readDrawsReport(drawsDir);
  writeJsonAtomic(path.join(report.drawsDir, REPORT_FILE), report);
  fs.writeFileSync(path.join(report.drawsDir, REPORT_MD), formatDrawsTable(report));
  return report;
}

const pct = (v: { mean: number; std: number } | undefined) => (v ? `${(v.mean * 100).toFixed(2)} ± ${(v.std * 100).toFixed(2)}` : '—');

/** The draws report as markdown: each draw's teacher, every method over all runs, then the pooled differences. */
export function formatDrawsTable(r: DrawsReport): string {
  const teacher = (d: DrawSummary) => `data seed ${d.dataSeed}: teacher ${d.teacherTestAcc === null ? '—' : `${(d.teacherTestAcc * 100).toFixed(2)}%`} test (${path.basename(d.benchDir)})`;
  const lines = [
    `${r.data}, ${r.draws.length} draw(s) of its images, each with its own teacher and validation images; the test split the same`,
    ...r.draws.map(teacher),
    '',
    '| method | runs | test % (mean ± std) | best val % | held-out val % |',
    '|---|---|---|---|---|',
    ...r.methods.map((m) => `| ${m.method} | ${m.runs} | ${pct(m.splits.test)} | ${pct(m.splits.val)} | ${pct(m.splits.heldOutVal)} |`),
    '',
    'Mean ± std over every run of every draw (draws differ by their teacher and images as well as by seed). Paired differences, each pair within its draw:',
    '',
    formatPooledTable(r.pooled).trimEnd(),
  ];
  const skd = r.pooled.rows.find((row) => row.method === 'skd');
  if (skd?.pooled.vsKd.test) lines.push('', ...skdOverKdLines(skd.pooled.vsKd, `${skd.pooled.vsKd.test.n} pairs in ${skd.benches.length} draw(s)`));
  if (r.missing.length) lines.push('', `Not finished: ${r.missing.join(', ')}`);
  return lines.join('\n') + '\n';
}
