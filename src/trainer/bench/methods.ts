import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BENCH_FILES, benchRunName, DEFAULT_BENCH_SEEDS, plannedRuns, type BenchPlanView } from '../../protocol/bench';
import { isTeacherRun, type Experiment, type ModelSpec } from '../../protocol/experiment';
import { RUN_FILES, type CorrectImages, type EpochEvent, type RunEvent, type Summary } from '../../protocol/runDir';
import { resolveFrom, validateExperimentObject } from '../config/validate';
import { loadExperimentWithOverrides, type Override } from '../config/overrides';
import { packageRoot } from '../data/packageRoot';
import { InputError } from '../errors';
import { builtinMethodNames } from '../methods';
import { readMetricsFrom } from '../runDir/metricsLog';
import { readStatus, readSummary } from '../runDir/runFiles';
import { isTrainerAlive } from '../runDir/trainerIdentity';
import { readJson, writeJsonAtomic } from '../runDir/atomicFile';
import { decodeCorrect, validationRecords } from '../runDir/heldOutValidation';
import { HELD_OUT_NOTE } from '../sweep/report';
import { imageSe, meanStd, pairedDiff, seBoth, type PairedDiff } from './pairedStats';

export { meanStd } from './pairedStats';

/**
 * `skd bench methods`: every distillation method against one shared teacher, over several
 * seeds, on any experiment as the base (default: examples/default.skd.json).
 *
 * - The teacher is trained once (`teacher/`, seed = the base's seed); every student reuses it
 *   through `teacher: {run}` with a fixed `data.seed`, so all runs see the same images and
 *   splits. The teacher run's own student is trained with method `none`, so it is the `none`
 *   run of the base's seed (the same seed gives the same order and initial weights).
 * - Students are paired by seed: for every seed, every method starts from the same initial
 *   weights and sees the same data order. Runs go seed by seed, so an interrupted bench still
 *   has complete pairs.
 * - Every run is tested on the full test split (`data.limit.test` of the base is removed).
 * - The bench folder holds `bench.json` (the plan), the experiments and runs, `report.json`
 *   and `report.md`. `--resume` skips the runs that have a summary.json and resumes the
 *   interrupted ones; `--report` summarises the runs that are there.
 */

/** The default method list, in table order: the built-ins of the method registry (add an ablation there). */
export const BENCH_METHODS: readonly string[] = builtinMethodNames();
export const FULL_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';
export const CORES = os.cpus().length;

const PLAN_FILE = BENCH_FILES.plan;
const REPORT_FILE = BENCH_FILES.report;
const REPORT_MD = BENCH_FILES.reportMd;
const TEACHER_DIR = BENCH_FILES.teacher;

export interface MethodsBenchOptions {
  /** Base experiment file (default: the package's examples/default.skd.json). */
  experiment?: string;
  /** Number of seeds (1..seeds); default 5. */
  seeds?: number;
  /**
   * 'full' (Debian's Fashion-MNIST idx), 'builtin' (fashion-mnist-mini), or 'auto': the base
   * experiment's own data when `experiment` is given, else full when installed, else builtin.
   */
  data?: 'full' | 'builtin' | 'auto';
  /** Folder the bench folder is created in (default `runs`). */
  outDir?: string;
  /** The new bench folder itself, instead of `<outDir>/bench-methods-<time>` (a draw of `--data-seeds`). */
  folder?: string;
  /** An existing bench folder to continue: finished runs are skipped. */
  resume?: string;
  /** Parallel runs. */
  parallel: number;
  /** `--set key=value` overrides applied to the base experiment file before it is checked. */
  overrides?: readonly Override[];
  teacherEpochs?: number;
  studentEpochs?: number;
  methods?: string[];
  /** Limit on training images (a quicker, smaller table). */
  limitTrain?: number;
  /** The command line, as recorded in the report. */
  command?: string;
  log: (line: string) => void;
  /** Runs one experiment (or resumes one run dir); default: a child `skd run` / `skd resume`. */
  runner?: BenchRunner;
  /**
   * Stops the bench: no run starts after it fires, and the running ones are asked to stop
   * (they checkpoint, and `--resume` continues them). The bench then ends with `stopped` set.
   */
  signal?: AbortSignal;
}

export interface BenchJob {
  /** Run name, `teacher` or `<method>-s<seed>`. */
  name: string;
  /** Experiment file; undefined when resuming `runDir`. */
  file?: string;
  runDir: string;
  resume: boolean;
  /** The bench's stop: the runner asks its run to stop (SIGTERM: it checkpoints) and waits for it. */
  signal?: AbortSignal;
}

/** Resolves when the run is done; rejects with a one-line reason otherwise. */
export type BenchRunner = (job: BenchJob) => Promise<void>;

/** The plan of a bench folder (`bench.json`). */
export interface BenchPlan extends BenchPlanView {
  version: 1;
  created: string;
  command: string;
  cwd: string;
  /** Base experiment file. */
  baseFile: string;
  dataDescription: string;
  notes: string[];
  methods: string[];
  seeds: number[];
  /** The shared teacher: trained here (`teacher/`) or reused from the base experiment. */
  teacher: { dir: string; trainedHere: boolean; seed: number };
  /** The students' experiment, method and seed aside (absolute paths). */
  experiment: Experiment;
}

/** One finished run, as read from its directory. */
export interface RunRecord {
  name: string;
  dir: string;
  method: string;
  seed: number;
  testAcc: number;
  /** The student's validation accuracy at its selected epoch (max over its epoch events). */
  valAcc: number | null;
  /** The same with the selection held out (`heldOutValAcc`); null for runs recorded before it. */
  heldOutValAcc: number | null;
  /** Per split, which images it gets right (runs recorded before it have none): the standard errors over images. */
  perImage?: Partial<Record<Split, Uint8Array>>;
  seconds: number;
  epochSeconds: number;
  studentParams: number;
  teacherTestAcc: number;
  teacherParams: number;
  data?: RunEvent['data'];
}

export interface AccuracyStats {
  mean: number;
  std: number;
  /** By seed, as fractions. */
  bySeed: Record<string, number>;
}

export interface MethodRow {
  method: string;
  runs: number;
  seeds: number[];
  test: AccuracyStats;
  /** Best validation accuracy (the selected epoch's); the figure defaults are chosen on. */
  val: AccuracyStats;
  /** Validation accuracy with the epoch selection held out (cross-fitted halves); empty for runs recorded before it. */
  heldOutVal: AccuracyStats;
  /** Paired differences (this method - reference, same seeds), as fractions. */
  vsKd: MethodDiffs;
  vsNone: MethodDiffs;
  /**
   * Against every other method of the bench (keyed by its name), per split: the standard error
   * that the fixed images add to the paired difference (`imageSe`), where every run of both has
   * its per-image record.
   */
  imageSe: Record<string, Partial<Record<Split, number>>>;
  /** Mean wall seconds of a run. */
  seconds: number;
  /** Mean seconds of one student epoch. */
  epochSeconds: number;
}

/** The three accuracies a bench reports per run. */
export type Split = 'test' | 'val' | 'heldOutVal';
export const SPLITS: readonly Split[] = ['test', 'val', 'heldOutVal'];

export type MethodDiffs = Partial<Record<Split, PairedDiff>>;

export interface MethodsBenchReport {
  benchDir: string;
  command: string;
  cwd: string;
  baseFile: string;
  /** `train`: the teacher's fit images; `student`: how many of them the students learn from, when fewer. */
  data: { description: string; name?: string; train?: number; student?: number; validation?: number; test?: number };
  notes: string[];
  teacher: { dir: string; model: string; testAcc: number | null; params: number | null; seconds: number | null };
  student: { model: string; params: number | null; epochs: number };
  seeds: number[];
  methods: string[];
  rows: MethodRow[];
  /** Planned runs without a summary: `name (state)`. */
  missing: string[];
  /** Mean wall seconds of a student run, over all finished student runs. */
  secondsPerRun: number | null;
  /** Which images its runs are scored on (`imageSetsOf`); absent where its runs' data differ. */
  imageSets?: ImageSets;
  /** The bench was stopped (`signal`) before all its runs ended; only on the report a run returns. */
  stopped?: true;
}

/**
 * Which images runs are scored on, as keys: runs with equal keys are scored on the same images.
 * `test`: the data and its test subsample (the full test split is the same for every data
 * draw); `val`: the data and its draw (`data.seed`, which picks the validation images).
 * Pooling takes the images' shares of benches on the same images together (`pooledImageSe`).
 */
export interface ImageSets {
  test: string;
  val: string;
}

export function imageSetsOf(exp: Experiment): ImageSets {
  const d = exp.data;
  // The same files reached through a link (a copy of the project whose node_modules links to another's) are the same images.
  const source = { format: d.format, name: d.name, dir: d.dir === undefined ? undefined : realPath(d.dir), size: d.size };
  const seed = d.seed ?? exp.seed;
  const testLimit = d.limit?.test;
  return {
    test: JSON.stringify({ ...source, test: testLimit, seed: testLimit === undefined ? undefined : seed }),
    val: JSON.stringify({ ...source, train: d.limit?.train, validation: d.validation ?? 0.1, seed }),
  };
}

function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/** Per method and seed, which images of each split a run gets right. */
export type PerImageRecords = ReadonlyMap<string, ReadonlyMap<number, Partial<Record<Split, Uint8Array>>>>;

// The per-image records of the reports read from run directories, kept beside them (not in
// report.json, where 10,000 images a run would swell it): pooling benches that were scored on
// the same images needs them image by image.
const PER_IMAGE = new WeakMap<MethodsBenchReport, PerImageRecords>();

export function perImageRecordsOf(report: MethodsBenchReport): PerImageRecords | undefined {
  return PER_IMAGE.get(report);
}

export function attachPerImageRecords(report: MethodsBenchReport, records: readonly Pick<RunRecord, 'method' | 'seed' | 'perImage'>[]): MethodsBenchReport {
  const byMethod = new Map<string, Map<number, Partial<Record<Split, Uint8Array>>>>();
  for (const r of records) {
    if (!r.perImage) continue;
    if (!byMethod.has(r.method)) byMethod.set(r.method, new Map());
    byMethod.get(r.method)!.set(r.seed, r.perImage);
  }
  PER_IMAGE.set(report, byMethod);
  return report;
}

export function defaultExperimentFile(): string {
  return path.join(packageRoot(), 'examples', 'default.skd.json');
}

function cliPath(): string {
  return path.join(packageRoot(), 'dist', 'cli.js');
}

/** The default runner: `skd run <file> --run-dir <dir>` or `skd resume <dir>` in a child process. */
export const childRunner: BenchRunner = (job) =>
  new Promise((resolve, reject) => {
    const args = job.resume ? [cliPath(), 'resume', job.runDir, '--quiet'] : [cliPath(), 'run', job.file!, '--run-dir', job.runDir, '--quiet'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    // Not spawn's own `signal` option: it rejects at once, and the bench would end while its run still checkpoints.
    const stop = () => child.kill('SIGTERM');
    job.signal?.addEventListener('abort', stop, { once: true });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => reject(e));
    child.on('exit', (code) => {
      job.signal?.removeEventListener('abort', stop);
      if (code === 0) resolve();
      else reject(new Error(code === 3 ? 'stopped (resume with --resume)' : `exit ${code}: ${err.trim().split('\n').pop() ?? ''}`));
    });
  });

/** An experiment's file paths made absolute (the generated files live in the bench folder). */
function absolutePaths(exp: Experiment, file: string): Experiment {
  const out = JSON.parse(JSON.stringify(exp)) as Experiment & { $schema?: string };
  delete out.$schema;
  if (out.data.dir) out.data.dir = resolveFrom(file, out.data.dir);
  if (isTeacherRun(out.teacher)) out.teacher.run = resolveFrom(file, out.teacher.run);
  if (out.method.module) out.method.module = resolveFrom(file, out.method.module);
  return out;
}

/**
 * The students' base experiment from the user's options: data replaced when asked, the full
 * test split, a fixed data seed, epoch overrides. Notes say what was changed.
 */
export function benchBase(
  base: Experiment,
  opts: Pick<MethodsBenchOptions, 'data' | 'limitTrain' | 'teacherEpochs' | 'studentEpochs'> & { explicitBase: boolean; fullInstalled: boolean },
): { experiment: Experiment; dataDescription: string; notes: string[] } {
  const exp = JSON.parse(JSON.stringify(base)) as Experiment;
  const notes: string[] = [];
  const choice = opts.data ?? 'auto';
  const full = choice === 'full' || (choice === 'auto' && !opts.explicitBase && opts.fullInstalled);
  let dataDescription: string;
  if (full) {
    exp.data = { ...exp.data, format: 'idx', dir: FULL_FASHION_MNIST };
    delete exp.data.name;
    dataDescription = `Fashion-MNIST, full (Debian idx in ${FULL_FASHION_MNIST})`;
  } else if (choice === 'builtin' || (choice === 'auto' && !opts.explicitBase)) {
    exp.data = { ...exp.data, format: 'builtin', name: 'fashion-mnist-mini' };
    delete exp.data.dir;
    dataDescription = 'fashion-mnist-mini (builtin subset of Fashion-MNIST)';
  } else {
    dataDescription = exp.data.format === 'builtin' ? `${exp.data.name} (builtin)` : `${exp.data.format} in ${exp.data.dir}`;
  }
  exp.data.seed = exp.data.seed ?? exp.seed ?? 1;
  const limit = { ...(exp.data.limit ?? {}) };
  if (limit.test !== undefined) {
    notes.push(`data.limit.test (${limit.test}) of the base experiment removed: every run is tested on the full test split`);
    delete limit.test;
  }
  if (opts.limitTrain) limit.train = opts.limitTrain;
  if (limit.train !== undefined) dataDescription += `, ${limit.train} training images`;
  if (Object.keys(limit).length) exp.data.limit = limit;
  else delete exp.data.limit;
  if (opts.teacherEpochs) {
    if (isTeacherRun(exp.teacher)) throw new InputError('command line', '--teacher-epochs', 'the base experiment reuses a trained teacher (teacher.run)');
    exp.teacher = { ...exp.teacher, epochs: opts.teacherEpochs };
  }
  if (opts.studentEpochs) exp.student = { ...exp.student, epochs: opts.studentEpochs };
  return { experiment: exp, dataDescription, notes };
}

/** The experiment of one student: the base with this method and seed, the shared teacher. */
export function studentExperiment(base: Experiment, method: string, seed: number, teacherDir: string): Experiment {
  const exp: Experiment & { studentAlone?: boolean } = {
    ...base,
    name: benchRunName(method, seed),
    seed,
    data: { ...base.data },
    teacher: { run: teacherDir },
    method: { ...base.method, name: method },
    // The bench has its own `none` runs: no student run trains its own student alone.
    studentAlone: false,
  };
  return exp;
}

/** The teacher's run: the base with its teacher, method `none`, the base's seed. */
export function teacherExperiment(base: Experiment, seed: number): Experiment {
  return { ...base, name: TEACHER_DIR, seed, data: { ...base.data }, method: { ...base.method, name: 'none' } };
}

function fail(where: string, issues: { path: (string | number)[]; message: string }[]): never {
  const first = issues[0];
  throw new InputError(where, first.path.join('.') || undefined, first.message);
}

function writeExperiment(root: string, exp: Experiment): string {
  const file = path.join(root, `${exp.name}.skd.json`);
  fs.writeFileSync(file, JSON.stringify(exp, null, 2) + '\n');
  return file;
}

/**
 * Creates and returns a new folder `<parent>/<prefix>-<date>-<time>`: a second one started in the
 * same second gets its own (`-2`, `-3`, ...), since mkdir of the leaf fails if another took it.
 */
export function claimNewFolder(parent: string, prefix: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  fs.mkdirSync(parent, { recursive: true });
  for (let attempt = 0; ; attempt++) {
    const root = path.join(parent, `${prefix}-${stamp}${attempt ? `-${attempt + 1}` : ''}`);
    try {
      fs.mkdirSync(root);
      return root;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 20) throw e;
    }
  }
}

/** Creates the given new folder; one that exists already is an input error (it is never reused). */
function newFolder(root: string): string {
  fs.mkdirSync(path.dirname(root), { recursive: true });
  try {
    fs.mkdirSync(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new InputError(root, undefined, 'the bench folder exists already');
    throw e;
  }
  return root;
}

/** The plan of a new bench in `root`. */
function makePlan(opts: MethodsBenchOptions, root: string): BenchPlan {
  const baseFile = path.resolve(opts.experiment ?? defaultExperimentFile());
  const base = absolutePaths(loadExperimentWithOverrides(baseFile, opts.overrides), baseFile);
  const fullInstalled = fs.existsSync(path.join(FULL_FASHION_MNIST, 'train-images-idx3-ubyte.gz')) || fs.existsSync(path.join(FULL_FASHION_MNIST, 'train-images-idx3-ubyte'));
  if (opts.data === 'full' && !fullInstalled) throw new InputError('command line', '--data', `full needs Debian's Fashion-MNIST in ${FULL_FASHION_MNIST} (apt install dataset-fashion-mnist)`);
  const { experiment, dataDescription, notes } = benchBase(base, { ...opts, explicitBase: opts.experiment !== undefined, fullInstalled });
  const seeds = Array.from({ length: opts.seeds ?? DEFAULT_BENCH_SEEDS }, (_, i) => i + 1);
  const methods = opts.methods ?? [...BENCH_METHODS];
  const reused = isTeacherRun(experiment.teacher) ? experiment.teacher.run : undefined;
  return {
    version: 1,
    created: new Date().toISOString(),
    command: opts.command ?? '',
    cwd: process.cwd(),
    baseFile,
    dataDescription,
    notes,
    methods,
    seeds,
    teacher: { dir: reused ?? path.join(root, TEACHER_DIR), trainedHere: !reused, seed: experiment.seed },
    experiment,
  };
}

/** Checks every experiment the plan will write before anything trains. */
function checkPlan(plan: BenchPlan, root: string): void {
  const where = path.join(root, 'bench');
  if (plan.teacher.trainedHere) {
    const issues = validateExperimentObject(teacherExperiment(plan.experiment, plan.teacher.seed), where, { checkFiles: true }).filter((i) => i.severity === 'error');
    if (issues.length) fail(plan.baseFile, issues);
  }
  for (const method of plan.methods) {
    const exp = studentExperiment(plan.experiment, method, plan.seeds[0] ?? 1, plan.teacher.dir);
    const issues = validateExperimentObject(exp, where, { checkFiles: !plan.teacher.trainedHere }).filter((i) => i.severity === 'error');
    if (issues.length) fail(`method ${method}`, issues);
  }
}

/** Checks a new bench's every experiment (an input error names the file and field); creates nothing. */
export function checkNewBench(opts: MethodsBenchOptions): void {
  const draft = opts.folder ? path.resolve(opts.folder) : path.resolve(opts.outDir ?? 'runs', 'bench-methods');
  checkPlan(makePlan(opts, draft), draft);
}

/** Whether `dir` is a methods bench folder (it holds its plan, `bench.json`). */
export function isBenchDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, PLAN_FILE));
}

/** Runs (or continues) a methods bench; returns the report of what its folder holds. */
export async function runMethodsBench(opts: MethodsBenchOptions): Promise<MethodsBenchReport> {
  const runner = opts.runner ?? childRunner;
  let plan: BenchPlan;
  let root: string;
  if (opts.resume) {
    root = path.resolve(opts.resume);
    plan = readPlan(root);
    // A resume for some methods adds them to the folder's report; it does not narrow it.
    if (opts.methods) plan.methods = methodsInOrder([...plan.methods, ...opts.methods]);
    if (opts.seeds) plan.seeds = Array.from({ length: opts.seeds }, (_, i) => i + 1);
    if (opts.command) plan.notes = [...plan.notes, `resumed with: ${opts.command}`];
    checkPlan(plan, root);
    fs.mkdirSync(root, { recursive: true });
  } else {
    // Checked before a folder is claimed, so that bad input leaves none behind.
    checkNewBench(opts);
    const parent = path.resolve(opts.outDir ?? 'runs');
    root = opts.folder ? newFolder(path.resolve(opts.folder)) : claimNewFolder(parent, 'bench-methods');
    plan = makePlan(opts, root);
  }
  writeJsonAtomic(path.join(root, PLAN_FILE), plan);
  for (const n of plan.notes) opts.log(`note: ${n}`);
  opts.log(`bench folder: ${root}`);

  const failures: string[] = [];
  const signal = opts.signal;
  const runOne = async (name: string, exp: Experiment | undefined, runDir: string): Promise<boolean> => {
    if (readSummary(runDir)) {
      opts.log(`${name}: finished earlier, skipped`);
      return true;
    }
    if (signal?.aborted) return false;
    const started = Date.now();
    const file = exp ? writeExperiment(root, exp) : undefined;
    try {
      const status = readStatus(runDir);
      if (status?.state === 'running' && isTrainerAlive(status)) throw new Error(`still training in process ${status.pid}`);
      if (status && fs.existsSync(path.join(runDir, RUN_FILES.experiment))) {
        opts.log(`${name}: resuming the interrupted run`);
        try {
          await runner({ name, runDir, resume: true, signal });
        } catch (e) {
          if (/stopped/.test((e as Error).message) || signal?.aborted) throw e;
          opts.log(`${name}: resume failed (${(e as Error).message}); starting it again`);
          fs.rmSync(runDir, { recursive: true, force: true });
          await runner({ name, file, runDir, resume: false, signal });
        }
      } else {
        fs.rmSync(runDir, { recursive: true, force: true });
        await runner({ name, file, runDir, resume: false, signal });
      }
      const s = readSummary(runDir);
      const acc = (v: number) => `${(v * 100).toFixed(2)}%`;
      const what = !s ? 'done' : name === TEACHER_DIR ? `teacher ${acc(s.teacher.testAcc)}, its student alone ${acc(s.student.testAcc)} test` : `${acc(s.student.testAcc)} test`;
      opts.log(`${name}: ${what} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      return true;
    } catch (e) {
      if (signal?.aborted) {
        opts.log(`${name}: stopped (checkpointed)`);
        return false;
      }
      failures.push(`${name}: ${(e as Error).message}`);
      opts.log(`${name} failed: ${(e as Error).message}`);
      return false;
    }
  };

  if (plan.teacher.trainedHere) {
    if (!readSummary(plan.teacher.dir)) opts.log(`teacher: training ${describeModel(plan.experiment.teacher)} on ${plan.dataDescription}, recording its trajectory`);
    const ok = await runOne(TEACHER_DIR, teacherExperiment(plan.experiment, plan.teacher.seed), plan.teacher.dir);
    if (!ok && signal?.aborted) return stopped(root, opts.log);
    if (!ok) throw new Error(`the teacher run failed (${failures[0]}); see ${path.join(plan.teacher.dir, RUN_FILES.log)}`);
  }
  // The methods this call trains: those named by --methods (on a resume, a part of the plan's), else the plan's.
  const toRun = opts.methods ?? plan.methods;
  const jobs = plannedRuns({ ...plan, methods: plan.methods.filter((m) => toRun.includes(m)) });
  let next = 0;
  const worker = async () => {
    while (next < jobs.length && !signal?.aborted) {
      const { method, seed, name } = jobs[next++];
      await runOne(name, studentExperiment(plan.experiment, method, seed, plan.teacher.dir), path.join(root, name));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.parallel) }, worker));
  if (signal?.aborted) return stopped(root, opts.log);
  const report = writeMethodsReport(root);
  if (failures.length) opts.log(`${failures.length} run(s) failed:\n  ${failures.join('\n  ')}`);
  return report;
}

/** A stopped bench: the report of what it holds, marked stopped; `--resume` continues it. */
function stopped(root: string, log: (line: string) => void): MethodsBenchReport {
  log(`stopped; skd bench methods --resume ${root} continues it`);
  return { ...writeMethodsReport(root), stopped: true };
}

/** Each method once: the built-in ones in their table order, others (plugins) after them by name. */
export function methodsInOrder(methods: string[]): string[] {
  const rank = (m: string) => BENCH_METHODS.indexOf(m) + 1 || BENCH_METHODS.length + 1;
  return [...new Set(methods)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function readPlan(root: string): BenchPlan {
  const file = path.join(root, PLAN_FILE);
  if (!fs.existsSync(file)) throw new InputError(root, undefined, `not a methods bench folder (no ${PLAN_FILE}); --report can still summarise its runs`);
  return readJson<BenchPlan>(file);
}

function describeModel(spec: Experiment['teacher'] | ModelSpec): string {
  if (isTeacherRun(spec)) return `the teacher of ${spec.run}`;
  const parts = [spec.model, spec.depth !== undefined ? `depth ${spec.depth}` : '', spec.width !== undefined ? `width ${spec.width}` : '', `${spec.epochs} epochs`];
  return parts.filter(Boolean).join(' ');
}

function validationOf(epochs: EpochEvent[], testCorrect: CorrectImages | undefined): Pick<RunRecord, 'valAcc' | 'heldOutValAcc' | 'perImage'> {
  const v = validationRecords(epochs);
  const perImage: RunRecord['perImage'] = {};
  const test = testCorrect && decodeCorrect(testCorrect);
  if (test) perImage.test = test;
  if (v.selectedRight) perImage.val = v.selectedRight;
  if (v.heldOutRight) perImage.heldOutVal = v.heldOutRight;
  return { valAcc: v.best, heldOutValAcc: v.heldOut, perImage };
}

/** A run's resolved experiment (`experiment.json`), or undefined when it has none. */
export function readRunExperiment(dir: string): Experiment | undefined {
  const file = path.join(dir, RUN_FILES.experiment);
  return fs.existsSync(file) ? readJson<Experiment>(file) : undefined;
}

/** A finished run's record, or undefined when it has no summary. */
export function readRunRecord(dir: string): RunRecord | undefined {
  const s: Summary | undefined = readSummary(dir);
  if (!s || !s.student || typeof s.student.testAcc !== 'number') return undefined;
  const events = readMetricsFrom(dir).events;
  const epochs = events.filter((e): e is EpochEvent => e.type === 'epoch' && e.network === 'student');
  const run = events.find((e): e is RunEvent => e.type === 'run');
  return {
    name: path.basename(dir),
    dir,
    method: s.method,
    seed: s.seed,
    testAcc: s.student.testAcc,
    ...validationOf(epochs, s.student.testCorrect),
    seconds: s.seconds,
    epochSeconds: epochs.length ? epochs.reduce((a, e) => a + e.seconds, 0) / epochs.length : 0,
    studentParams: s.student.params,
    teacherTestAcc: s.teacher.testAcc,
    teacherParams: s.teacher.params,
    data: run?.data,
  };
}

function studentEpochCount(dir: string): number {
  return new Set(readMetricsFrom(dir).events.filter((e) => e.type === 'epoch' && e.network === 'student').map((e) => (e as EpochEvent).epoch)).size;
}

const bySeedRecord = (m: ReadonlyMap<number, number>): Record<string, number> => Object.fromEntries([...m].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v]));

/** The method rows of a set of finished runs (pure: statistics only). */
export function methodRows(methods: string[], records: Pick<RunRecord, 'method' | 'seed' | 'testAcc' | 'valAcc' | 'heldOutValAcc' | 'perImage' | 'seconds' | 'epochSeconds'>[]): MethodRow[] {
  const pick: Record<Split, (r: (typeof records)[number]) => number | null> = { test: (r) => r.testAcc, val: (r) => r.valAcc, heldOutVal: (r) => r.heldOutValAcc };
  // bySplit[split]: method -> seed -> accuracy.
  const bySplit = Object.fromEntries(SPLITS.map((split) => [split, new Map<string, Map<number, number>>()])) as Record<Split, Map<string, Map<number, number>>>;
  for (const r of records) {
    for (const split of SPLITS) {
      const v = pick[split](r);
      if (!bySplit[split].has(r.method)) bySplit[split].set(r.method, new Map());
      if (v !== null) bySplit[split].get(r.method)!.set(r.seed, v);
    }
  }
  // images[split]: method -> seed -> which images of the split it gets right.
  const images = Object.fromEntries(SPLITS.map((split) => [split, new Map<string, Map<number, Uint8Array>>()])) as Record<Split, Map<string, Map<number, Uint8Array>>>;
  for (const r of records) {
    for (const split of SPLITS) {
      const right = r.perImage?.[split];
      if (!right) continue;
      if (!images[split].has(r.method)) images[split].set(r.method, new Map());
      images[split].get(r.method)!.set(r.seed, right);
    }
  }
  const empty = new Map<number, number>();
  const of = (split: Split, m: string) => bySplit[split].get(m) ?? empty;
  const diffs = (m: string, ref: string): MethodDiffs => {
    if (m === ref) return {};
    const out: MethodDiffs = {};
    for (const split of SPLITS) {
      const d = pairedDiff(of(split, m), of(split, ref));
      const se = d && imageSe(images[split].get(m) ?? new Map(), images[split].get(ref) ?? new Map(), d.seeds);
      if (d) out[split] = se === undefined ? d : { ...d, seImages: se };
    }
    return out;
  };
  const stats = (split: Split, m: string): AccuracyStats => {
    const values = of(split, m);
    const { mean, std } = meanStd([...values.values()]);
    return { mean, std, bySeed: bySeedRecord(values) };
  };
  // Against every method once: KD and the student alone for the table, every other one for the
  // images' share when pooling against any reference (`--pool --reference`).
  const imageSes = (against: ReadonlyMap<string, MethodDiffs>): MethodRow['imageSe'] => {
    const out: MethodRow['imageSe'] = {};
    for (const [ref, cell] of against) {
      for (const [split, d] of Object.entries(cell) as [Split, PairedDiff][]) {
        if (d.seImages !== undefined) (out[ref] ??= {})[split] = d.seImages;
      }
    }
    return out;
  };
  return methods.map((m) => {
    const mine = records.filter((r) => r.method === m);
    const t = of('test', m);
    const against = new Map([...new Set([...methods, 'kd', 'none'])].map((ref) => [ref, diffs(m, ref)]));
    return {
      method: m,
      runs: t.size,
      seeds: [...t.keys()].sort((a, b) => a - b),
      test: stats('test', m),
      val: stats('val', m),
      heldOutVal: stats('heldOutVal', m),
      vsKd: against.get('kd')!,
      vsNone: against.get('none')!,
      imageSe: imageSes(new Map([...against].filter(([ref]) => methods.includes(ref)))),
      seconds: mine.length ? mine.reduce((a, r) => a + r.seconds, 0) / mine.length : NaN,
      epochSeconds: mine.length ? mine.reduce((a, r) => a + r.epochSeconds, 0) / mine.length : NaN,
    };
  });
}

/**
 * The report of a bench folder from its run directories (finished runs only): with its
 * bench.json when there is one, else from whatever `<method>-s<seed>` runs it holds.
 */
export function readMethodsReport(benchDir: string): MethodsBenchReport {
  const root = path.resolve(benchDir);
  if (!fs.existsSync(root)) throw new InputError(root, undefined, 'no such bench folder');
  const plan: BenchPlan | undefined = isBenchDir(root) ? readJson<BenchPlan>(path.join(root, PLAN_FILE)) : undefined;
  const dirs = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => path.join(root, e.name));
  const teacherDir = plan?.teacher.dir ?? (fs.existsSync(path.join(root, TEACHER_DIR)) ? path.join(root, TEACHER_DIR) : undefined);
  if (teacherDir && !dirs.includes(teacherDir) && fs.existsSync(teacherDir)) dirs.push(teacherDir);
  const byKey = new Map<string, RunRecord>();
  for (const dir of dirs) {
    const r = readRunRecord(dir);
    if (!r) continue;
    const isTeacher = dir === teacherDir;
    // The teacher's own student counts as `none` only when the teacher was trained here.
    if (isTeacher && plan && !plan.teacher.trainedHere) continue;
    const key = `${r.method}\u0000${r.seed}`;
    if (isTeacher && byKey.has(key)) continue;
    // Earlier runs of a method kept in the folder under another name (say, from before a default
    // changed) never stand in for the bench's own run of that method and seed.
    const held = byKey.get(key);
    if (held && held.name === benchRunName(held.method, held.seed) && r.name !== benchRunName(r.method, r.seed)) continue;
    // Its wall time includes the teacher's training: count only its student's epochs.
    if (isTeacher) r.seconds = r.epochSeconds * studentEpochCount(dir);
    byKey.set(key, r);
  }
  const records = [...byKey.values()];
  const methods = plan?.methods ?? methodsInOrder(records.map((r) => r.method));
  const seeds = plan?.seeds ?? [...new Set(records.map((r) => r.seed))].sort((a, b) => a - b);
  const inPlan = records.filter((r) => methods.includes(r.method) && seeds.includes(r.seed));
  const rows = methodRows(methods, inPlan);

  const teacherSummary = teacherDir ? readSummary(teacherDir) : undefined;
  const teacherExp = teacherDir ? readRunExperiment(teacherDir) : undefined;
  const anyRun = inPlan[0];
  // The students' experiment, seed and method aside: the plan's, else a finished run's.
  const runExperiment = plan?.experiment ?? (anyRun ? readRunExperiment(anyRun.dir) : undefined);
  const studentSpec = runExperiment?.student;
  const dataEvent = (teacherDir ? readRunRecord(teacherDir)?.data : undefined) ?? anyRun?.data;
  const missing: string[] = [];
  if (plan) {
    const wanted = [...(plan.teacher.trainedHere ? [{ name: TEACHER_DIR, dir: plan.teacher.dir }] : []), ...plannedRuns(plan).map((r) => ({ name: r.name, dir: path.join(root, r.name) }))];
    for (const w of wanted) {
      if (readSummary(w.dir)) continue;
      const state = readStatus(w.dir)?.state;
      missing.push(`${w.name} (${state ?? 'not started'})`);
    }
  }
  const students = inPlan.filter((r) => r.dir !== teacherDir);
  const notes = [...(plan?.notes ?? [])];
  if (!plan) notes.push(`no ${PLAN_FILE}: methods and seeds are those of the finished runs found`);
  const report: MethodsBenchReport = {
    benchDir: root,
    command: plan?.command ?? '',
    cwd: plan?.cwd ?? '',
    baseFile: plan?.baseFile ?? '',
    data: { description: plan?.dataDescription ?? dataEvent?.name ?? '', name: dataEvent?.name, train: dataEvent?.train, ...(dataEvent?.student !== undefined ? { student: dataEvent.student } : {}), validation: dataEvent?.validation, test: dataEvent?.test },
    notes,
    teacher: {
      dir: teacherDir ?? '',
      model: teacherExp ? describeModel(teacherExp.teacher) : plan ? describeModel(plan.experiment.teacher) : '',
      testAcc: teacherSummary?.teacher.testAcc ?? anyRun?.teacherTestAcc ?? null,
      params: teacherSummary?.teacher.params ?? anyRun?.teacherParams ?? null,
      seconds: plan && !plan.teacher.trainedHere ? null : (teacherSummary?.seconds ?? null),
    },
    student: { model: studentSpec ? describeModel(studentSpec) : '', params: anyRun?.studentParams ?? null, epochs: studentSpec?.epochs ?? 0 },
    seeds,
    methods,
    rows,
    missing,
    secondsPerRun: students.length ? students.reduce((a, r) => a + r.seconds, 0) / students.length : null,
    ...(runExperiment ? { imageSets: imageSetsOf(runExperiment) } : {}),
  };
  return attachPerImageRecords(report, inPlan);
}

/** Reads the folder's report and writes it as report.json and report.md. */
export function writeMethodsReport(benchDir: string): MethodsBenchReport {
  const report = readMethodsReport(benchDir);
  writeJsonAtomic(path.join(report.benchDir, REPORT_FILE), report);
  fs.writeFileSync(path.join(report.benchDir, REPORT_MD), formatMethodsTable(report));
  return report;
}

const pct = (v: number | null | undefined, digits = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : (v * 100).toFixed(digits));

/** A paired difference in points: `+0.62 ± 0.21 (t 2.9)`; `+0.62 (n 1)` without an error. */
export function formatDiff(d: PairedDiff | undefined): string {
  if (!d) return '—';
  const points = d.mean * 100;
  const sign = points > 0 ? '+' : points < 0 ? '-' : '±';
  const head = `${sign}${Math.abs(points).toFixed(2)}`;
  if (d.se === null) return `${head} (n ${d.n})`;
  return `${head} ± ${(d.se * 100).toFixed(2)} (t ${d.t === null ? '—' : d.t.toFixed(1)})`;
}

/** A paired difference with its standard error over seeds and images together (`seBoth`); '—' without the images' part. */
export function formatDiffBoth(d: PairedDiff | undefined): string {
  const se = d ? seBoth(d) : null;
  if (!d || se === null) return '—';
  return formatDiff({ ...d, se, t: se > 0 ? d.mean / se : null });
}

/** What the seeds-and-images table is, for the reports' footnotes. */
export const IMAGES_NOTE =
  'seeds and images: every seed is tested on the same images, so ± over seeds alone says nothing of other images of the same kind; here the standard error also counts the images as a sample (per image, the mean over seeds of the two methods\' difference in correctness).';

function tableCells(row: MethodRow): string[] {
  const seconds = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '—');
  return [
    row.method,
    String(row.runs),
    row.runs ? `${pct(row.test.mean)} ± ${pct(row.test.std)}` : '—',
    pct(row.val.mean),
    formatDiff(row.vsKd.test),
    formatDiff(row.vsKd.val),
    formatDiff(row.vsNone.test),
    formatDiff(row.vsNone.val),
    seconds(row.seconds, row.seconds < 10 ? 1 : 0),
    seconds(row.epochSeconds, 1),
  ];
}

/** The report as markdown: the setting, the table, SKD against KD, and what is missing. */
/** SKD's paired difference to KD in a line (and, where it has them, with ± over seeds and images in a second). */
export function skdOverKdLines(d: MethodDiffs, over: string): string[] {
  if (!d.test) return [];
  const held = d.heldOutVal ? `, held-out validation ${formatDiff(d.heldOutVal)}` : '';
  const lines = [`SKD - KD (goal ≥ +0.50): test ${formatDiff(d.test)}, validation ${formatDiff(d.val)}${held} over ${over}`];
  if (SPLITS.some((s) => d[s]?.seImages !== undefined)) {
    const heldBoth = d.heldOutVal ? `, held-out validation ${formatDiffBoth(d.heldOutVal)}` : '';
    lines.push(`  ± over seeds and images: test ${formatDiffBoth(d.test)}, validation ${formatDiffBoth(d.val)}${heldBoth}`);
  }
  return lines;
}

export function formatMethodsTable(r: MethodsBenchReport): string {
  const studentPart = r.data.student !== undefined ? ` (the students learn from ${r.data.student} of them)` : '';
  const counts = r.data.train !== undefined ? `; ${r.data.train} fit${studentPart} / ${r.data.validation} validation / ${r.data.test} test images` : '';
  const lines = [
    `data: ${r.data.description}${counts}`,
    `teacher: ${r.teacher.model}, ${pct(r.teacher.testAcc)}% test accuracy, ${r.teacher.params ?? '—'} parameters${r.teacher.seconds !== null ? `, ${r.teacher.seconds.toFixed(0)} s` : ''}`,
    `student: ${r.student.model}, ${r.student.params ?? '—'} parameters${r.secondsPerRun !== null ? `; ${r.secondsPerRun.toFixed(0)} s per student run` : ''}`,
    `seeds: ${r.seeds.join(', ')} (paired: for each seed every method has the same data order and initial weights)`,
    ...(r.command ? [`command: ${r.command}${r.cwd ? `  (in ${r.cwd})` : ''}`] : []),
    ...r.notes.map((n) => `note: ${n}`),
    '',
    '| method | runs | test % (mean ± std) | best val % | Δ test vs KD | Δ val vs KD | Δ test vs none | Δ val vs none | s / run | s / epoch |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...r.rows.map((row) => `| ${tableCells(row).join(' | ')} |`),
    '',
    'Δ: mean of the per-seed differences in points ± its standard error (std of the differences / √n), t = Δ / SE.',
    'best val: the student\'s validation accuracy at its selected epoch; choose defaults on validation, report test.',
  ];
  // Runs recorded before the held-out figure existed have none: its table shows only when some run has it.
  const heldOut = r.rows.filter((row) => row.runs > 0 && Object.keys(row.heldOutVal.bySeed).length > 0);
  if (heldOut.length) {
    lines.push(
      '',
      '| method | held-out val % (mean ± std) | Δ held-out val vs KD | Δ held-out val vs none |',
      '|---|---|---|---|',
      ...heldOut.map((row) => `| ${row.method} | ${pct(row.heldOutVal.mean)} ± ${pct(row.heldOutVal.std)} | ${formatDiff(row.vsKd.heldOutVal)} | ${formatDiff(row.vsNone.heldOutVal)} |`),
      '',
      HELD_OUT_NOTE,
    );
  }
  const both = r.rows.filter((row) => row.runs > 0 && SPLITS.some((s) => row.vsKd[s]?.seImages !== undefined || row.vsNone[s]?.seImages !== undefined));
  if (both.length) {
    const cell = (row: MethodRow, ref: 'kd' | 'none', split: Split) => formatDiffBoth((ref === 'kd' ? row.vsKd : row.vsNone)[split]);
    lines.push(
      '',
      'The paired differences with ± over seeds and images together:',
      '',
      '| method | Δ test vs KD | Δ val vs KD | Δ held-out val vs KD | Δ test vs none | Δ val vs none | Δ held-out val vs none |',
      '|---|---|---|---|---|---|---|',
      ...both.map((row) => `| ${row.method} | ${SPLITS.map((s) => cell(row, 'kd', s)).join(' | ')} | ${SPLITS.map((s) => cell(row, 'none', s)).join(' | ')} |`),
      '',
      IMAGES_NOTE,
    );
  }
  const skd = r.rows.find((row) => row.method === 'skd');
  if (skd?.vsKd.test) lines.push('', ...skdOverKdLines(skd.vsKd, `${skd.vsKd.test.n} paired seeds`));
  if (r.rows.some((row) => row.method === 'none' && row.runs > 0)) {
    const below = r.rows.filter((row) => row.vsNone.test && row.vsNone.test.mean <= 0).map((row) => row.method);
    lines.push(below.length ? `not above the student alone (paired test Δ ≤ 0): ${below.join(', ')}` : 'every method is above the student alone (paired test Δ > 0)');
  }
  if (r.missing.length) lines.push('', `unfinished runs (${r.missing.length}): ${r.missing.join(', ')}`, `continue with: skd bench methods --resume ${r.benchDir}`);
  return lines.join('\n') + '\n';
}
