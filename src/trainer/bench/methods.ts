import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Experiment } from '../../protocol/experiment';
import { RUN_FILES, type EpochEvent, type Summary } from '../../protocol/runDir';
import { readMetricsFrom } from '../runFiles';
import { readJson } from '../util/atomicFile';

/**
 * `skd bench methods`: every distillation method against one shared teacher, over several
 * seeds, on the full Fashion-MNIST when Debian's dataset-fashion-mnist is installed (else the
 * built-in subset). The teacher is trained once (its run also gives the `none` student of the
 * first seed); every other student reuses it through `teacher: {run}`, with `data.seed` fixed
 * so all runs see the same images and splits. Runs go two at a time, one per core.
 */

export const BENCH_METHODS = ['none', 'kd', 'fitnet', 'at', 'rco', 'dkd', 'skd', 'skd-no-tbt', 'skd-no-tet'] as const;
export const FULL_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

export interface MethodsBenchOptions {
  seeds: number;
  /** 'full' (Debian's Fashion-MNIST), 'builtin', or 'auto' (full when installed). */
  data: 'full' | 'builtin' | 'auto';
  outDir: string;
  /** Parallel student runs. */
  parallel: number;
  /** Epochs of teacher and student (default: the default experiment's). */
  teacherEpochs?: number;
  studentEpochs?: number;
  methods?: string[];
  /** Optional limit on training images (a quicker, smaller table). */
  limitTrain?: number;
  log: (line: string) => void;
}

export interface MethodRow {
  method: string;
  runs: number;
  mean: number;
  std: number;
  accuracies: number[];
  /** Mean wall seconds of a student run. */
  seconds: number;
  /** Mean seconds of one student epoch. */
  epochSeconds: number;
}

export interface MethodsBenchReport {
  data: string;
  teacher: { dir: string; testAcc: number; params: number; seconds: number };
  student: string;
  seeds: number[];
  rows: MethodRow[];
}

function packageRoot(): string {
  return __filename.endsWith('.ts') ? path.resolve(__dirname, '..', '..', '..') : path.resolve(__dirname, '..');
}

function cliPath(): string {
  return path.join(packageRoot(), 'dist', 'cli.js');
}

/** Runs `skd run` in a child process; resolves with the run dir's summary. */
function runChild(file: string, runDir: string, log: (l: string) => void): Promise<Summary> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath(), 'run', file, '--run-dir', runDir, '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      if (code === 0) resolve(readJson<Summary>(path.join(runDir, RUN_FILES.summary)));
      else {
        log(`run ${path.basename(runDir)} failed (exit ${code}): ${err.trim().split('\n').pop()}`);
        reject(new Error(`${runDir}: exit ${code}`));
      }
    });
  });
}

export function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, std: Math.sqrt(variance) };
}

function studentEpochSeconds(runDir: string): number {
  const epochs = readMetricsFrom(runDir).events.filter((e): e is EpochEvent => e.type === 'epoch' && e.network === 'student');
  return epochs.length ? epochs.reduce((a, e) => a + e.seconds, 0) / epochs.length : 0;
}

export async function runMethodsBench(opts: MethodsBenchOptions): Promise<MethodsBenchReport> {
  const base = readJson<Experiment>(path.join(packageRoot(), 'examples', 'default.skd.json'));
  const full = opts.data === 'full' || (opts.data === 'auto' && fs.existsSync(path.join(FULL_FASHION_MNIST, 'train-images-idx3-ubyte.gz')));
  const data: Experiment['data'] = full ? { format: 'idx', dir: FULL_FASHION_MNIST, validation: 0.1, seed: 1 } : { ...base.data, seed: 1 };
  if (opts.limitTrain) data.limit = { ...data.limit, train: opts.limitTrain };
  const teacherSpec = { ...(base.teacher as Experiment['student']), ...(opts.teacherEpochs ? { epochs: opts.teacherEpochs } : {}) };
  const studentSpec = { ...base.student, ...(opts.studentEpochs ? { epochs: opts.studentEpochs } : {}) };
  const methods = opts.methods ?? [...BENCH_METHODS];
  const seeds = Array.from({ length: opts.seeds }, (_, i) => i + 1);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const root = path.resolve(opts.outDir, `bench-methods-${stamp}`);
  fs.mkdirSync(root, { recursive: true });
  const write = (name: string, exp: Experiment) => {
    const file = path.join(root, `${name}.skd.json`);
    fs.writeFileSync(file, JSON.stringify(exp, null, 2));
    return file;
  };
  const experiment = (method: string, seed: number, teacher: Experiment['teacher']): Experiment => ({
    ...base,
    name: `${method}-s${seed}`,
    seed,
    data,
    teacher,
    student: studentSpec,
    method: { ...base.method, name: method },
  });

  opts.log(`teacher: ${teacherSpec.model} on ${full ? 'Fashion-MNIST (full)' : base.data.name}, recording its trajectory`);
  const teacherDir = path.join(root, 'teacher');
  const teacherSummary = await runChild(write('teacher', experiment('none', 1, teacherSpec)), teacherDir, opts.log);
  opts.log(`teacher: ${(teacherSummary.teacher.testAcc * 100).toFixed(2)}% test accuracy in ${teacherSummary.seconds.toFixed(0)} s`);

  const results = new Map<string, { acc: number; seconds: number; epochSeconds: number }[]>();
  const record = (method: string, s: Summary, dir: string) => {
    const list = results.get(method) ?? [];
    list.push({ acc: s.student.testAcc, seconds: s.seconds, epochSeconds: studentEpochSeconds(dir) });
    results.set(method, list);
  };
  if (methods.includes('none')) record('none', teacherSummary, teacherDir);
  const jobs = methods.flatMap((m) => seeds.filter((s) => !(m === 'none' && s === 1)).map((s) => ({ m, s })));
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const { m, s } = jobs[next++];
      const dir = path.join(root, `${m}-s${s}`);
      const summary = await runChild(write(`${m}-s${s}`, experiment(m, s, { run: teacherDir })), dir, opts.log);
      record(m, summary, dir);
      opts.log(`${m} seed ${s}: ${(summary.student.testAcc * 100).toFixed(2)}% (${summary.seconds.toFixed(0)} s)`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.parallel) }, worker));

  const rows: MethodRow[] = methods.map((m) => {
    const list = results.get(m) ?? [];
    const { mean, std } = meanStd(list.map((r) => r.acc));
    return {
      method: m,
      runs: list.length,
      mean,
      std,
      accuracies: list.map((r) => r.acc),
      seconds: list.reduce((a, r) => a + r.seconds, 0) / Math.max(1, list.length),
      epochSeconds: list.reduce((a, r) => a + r.epochSeconds, 0) / Math.max(1, list.length),
    };
  });
  const report: MethodsBenchReport = {
    data: `${full ? 'fashion-mnist (full, 60k/10k)' : base.data.name}${opts.limitTrain ? `, ${opts.limitTrain} training images` : ''}`,
    teacher: { dir: teacherDir, testAcc: teacherSummary.teacher.testAcc, params: teacherSummary.teacher.params, seconds: teacherSummary.seconds },
    student: `${studentSpec.model} width ${studentSpec.width ?? ''} (${teacherSummary.student.params} parameters), ${studentSpec.epochs} epochs`,
    seeds,
    rows,
  };
  fs.writeFileSync(path.join(root, 'report.json'), JSON.stringify(report, null, 2));
  return report;
}

export function formatMethodsTable(r: MethodsBenchReport): string {
  const pct = (v: number) => (v * 100).toFixed(2);
  const lines = [
    `data: ${r.data}; teacher ${pct(r.teacher.testAcc)}% (${r.teacher.params} parameters); student ${r.student}; seeds ${r.seeds.join(', ')}`,
    '',
    `| method | test accuracy % (mean ± std) | runs | student run s | student epoch s |`,
    `|---|---|---|---|---|`,
    ...r.rows.map((row) => `| ${row.method} | ${pct(row.mean)} ± ${pct(row.std)} | ${row.runs} | ${row.seconds.toFixed(0)} | ${row.epochSeconds.toFixed(1)} |`),
  ];
  const byName = new Map(r.rows.map((row) => [row.method, row]));
  const skd = byName.get('skd');
  const kd = byName.get('kd');
  if (skd && kd) lines.push('', `SKD - KD: ${((skd.mean - kd.mean) * 100).toFixed(2)} points (goal: >= 0.5)`);
  const none = byName.get('none');
  if (none) {
    const below = r.rows.filter((row) => row.method !== 'none' && row.mean <= none.mean).map((row) => row.method);
    lines.push(below.length ? `not above the student alone: ${below.join(', ')}` : 'every distillation method is above the student alone');
  }
  return lines.join('\n') + '\n';
}

export const CORES = os.cpus().length;
