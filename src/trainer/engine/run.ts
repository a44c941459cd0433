import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { isTeacherRun, wantsStudentAlone, type Experiment, type ModelSpec } from '../../protocol/experiment';
import { gainLine } from '../../protocol/gain';
import { RUN_FILES, type MetricEvent, type Phase, type Summary } from '../../protocol/runDir';
import { selectBackend } from '../backend/select';
import { checkedExperiment, loadExperiment, resolveFrom } from '../config/validate';
import { loadExperimentWithOverrides, type Override } from '../config/overrides';
import { loadDataset } from '../data';
import { InputError } from '../errors';
import { getMethod, loadMethodModule } from '../methods';
import '../methods/skd';
import { buildModel } from '../models';
import { readJson } from '../util/atomicFile';
import { alonePhase } from './alonePhase';
import { priorActiveSeconds } from './activeTime';
import { collectProvenance, recordProvenance } from './provenance';
import { relocatable } from './relocate';
import type { RunContext } from './context';
import { metaPhase } from './metaPhase';
import { cannotCreate, RunDirectory } from './runDirectory';
import { createRunDir } from '../runFiles';
import { makeSplits } from './splits';
import { studentPhase } from './studentPhase';
import { teacherPhase } from './teacherPhase';
import { StopRequested, type StopToken } from './trainLoop';

export interface RunOptions {
  /** Exact run directory to create (the language server chooses it); else `<outDir>/<name>-<time>`. */
  runDir?: string;
  outDir?: string;
  /** Overrides the experiment's backend. */
  backend?: string;
  stop?: StopToken;
  /** Human-readable progress lines (the CLI prints them on stderr). */
  log?: (line: string) => void;
  /** Every metric event as it is appended. */
  onEvent?: (event: MetricEvent, experiment: Experiment) => void;
  /** `--set key=value` overrides applied to the experiment file before it is checked. */
  overrides?: readonly Override[];
}

export interface RunOutcome {
  dir: string;
  state: 'done' | 'stopped';
  summary?: Summary;
}

/** Share of a run's progress bar each phase takes (teacher, student alone, meta-networks, student). */
const PHASE_SPAN: Record<Phase, [number, number]> = {
  setup: [0, 0],
  teacher: [0, 0.4],
  trajectory: [0.4, 0.4],
  alone: [0.4, 0.6],
  tbt: [0.6, 0.63],
  tet: [0.63, 0.65],
  student: [0.65, 1],
  final: [1, 1],
};

/** The same without a student alone (`"studentAlone": false`, method `none`). */
const PHASE_SPAN_WITHOUT_ALONE: Record<Phase, [number, number]> = {
  ...PHASE_SPAN,
  teacher: [0, 0.5],
  trajectory: [0.5, 0.5],
  alone: [0.5, 0.5],
  tbt: [0.5, 0.53],
  tet: [0.53, 0.55],
  student: [0.55, 1],
};

/** Runs an experiment file into a new run directory. Bad input throws before anything is written. */
export async function runExperiment(file: string, opts: RunOptions = {}): Promise<RunOutcome> {
  const experiment = absolutePaths(opts.overrides?.length ? loadExperimentWithOverrides(file, opts.overrides) : loadExperiment(file), file);
  const prepared = await prepare(experiment, file, opts);
  const outDir = path.resolve(opts.outDir ?? 'runs');
  let dir: string;
  try {
    dir = opts.runDir ? path.resolve(opts.runDir) : createRunDir(outDir, experiment.name);
  } catch (e) {
    throw cannotCreate(outDir, e);
  }
  // experiment.json keeps paths relative to the run directory, so the run can move (relocate.ts).
  const run = RunDirectory.create(dir, relocatable(experiment, dir));
  return execute(run, experiment, file, prepared, opts, false);
}

/** Continues an interrupted, stopped or failed run from its last checkpoint. */
export async function resumeRun(dir: string, opts: RunOptions = {}): Promise<RunOutcome> {
  const run = RunDirectory.open(path.resolve(dir));
  const status = run.status();
  if (status?.state === 'done') throw new InputError(run.dir, 'status', 'this run has already finished');
  // Two trainers writing one run directory would interleave checkpoints and logs.
  if (status?.state === 'running' && status.pid !== undefined && status.pid !== process.pid && trainerAlive(status.pid)) {
    throw new InputError(run.dir, 'status', `this run is still training in process ${status.pid}; stop it first (or wait for it to end)`);
  }
  run.sweepTemporaries();
  const file = run.file(RUN_FILES.experiment);
  const recorded = readJson<Experiment>(file);
  // A run recorded before `studentAlone` existed resumes as it started: without one.
  if (recorded && typeof recorded === 'object' && !Array.isArray(recorded) && recorded.studentAlone === undefined) recorded.studentAlone = false;
  const experiment = checkedExperiment(recorded, file);
  const prepared = await prepare(experiment, file, opts);
  return execute(run, experiment, file, prepared, opts, true);
}

interface Prepared {
  backend: string;
  dataset: Awaited<ReturnType<typeof loadDataset>>;
}

/** Everything that can fail on bad input, done before the run directory is touched. */
async function prepare(experiment: Experiment, file: string, opts: RunOptions): Promise<Prepared> {
  if (experiment.method.module) loadMethodModule(resolveFrom(file, experiment.method.module));
  getMethod(experiment.method.name, file);
  const backend = await selectBackend((opts.backend ?? experiment.backend) as Experiment['backend']);
  const dataset = await loadDataset(experiment.data, { experimentFile: file, baseDir: path.dirname(file) }, dataSeed(experiment));
  // Building both networks once checks that they fit the data's shape.
  const probe = (spec: ModelSpec, field: string) => {
    const built = buildModel(spec, { inputShape: dataset.shape, numClasses: dataset.numClasses, seed: experiment.seed, experimentFile: file, field });
    built.model.dispose();
  };
  if (!isTeacherRun(experiment.teacher)) probe(experiment.teacher, 'teacher');
  probe(experiment.student, 'student');
  opts.log?.(`backend: ${backend.detail}`);
  return { backend: backend.detail, dataset };
}

async function execute(run: RunDirectory, experiment: Experiment, file: string, prepared: Prepared, opts: RunOptions, resumed: boolean): Promise<RunOutcome> {
  const started = Date.now();
  // A resumed run's time includes its earlier sessions' active time (not the pause between them).
  const before = resumed ? priorActiveSeconds(run.events(), run.status()) : 0;
  const stop = opts.stop ?? { requested: false };
  const logFile = run.file(RUN_FILES.log);
  const log = (message: string) => {
    fs.appendFileSync(logFile, `${new Date().toISOString()} ${message}\n`);
    opts.log?.(message);
  };
  const { dataset } = prepared;
  if (opts.onEvent) run.onEvent((e) => opts.onEvent!(e, experiment));
  const splits = makeSplits(dataset, experiment.data.validation ?? 0.1, dataSeed(experiment));
  const withAlone = wantsStudentAlone(experiment);
  const spans = withAlone ? PHASE_SPAN : PHASE_SPAN_WITHOUT_ALONE;
  let lastWrite = 0;
  const ctx: RunContext = {
    experiment,
    experimentFile: file,
    run,
    dataset,
    splits,
    stop,
    log,
    progress: (phase, fraction) => {
      const [a, b] = spans[phase];
      const now = Date.now();
      // status.json is rewritten at most twice a second: it is a view, not a log.
      if (now - lastWrite > 500 || fraction >= 1) {
        lastWrite = now;
        run.writeStatus({ state: 'running', phase, progress: a + (b - a) * Math.min(1, fraction) });
      }
    },
  };
  run.writeStatus({ state: 'running', phase: 'setup', backend: prepared.backend, error: undefined });
  recordProvenance(run.dir, collectProvenance(file, prepared.backend), resumed);
  run.append({
    type: 'run',
    name: experiment.name,
    method: experiment.method.name,
    backend: prepared.backend,
    resumed,
    data: { name: dataset.name, train: splits.fit.length, validation: splits.val.length, test: dataset.test.n, shape: [...dataset.shape], classes: dataset.numClasses },
  });
  log(`${resumed ? 'resuming' : 'starting'} ${experiment.name}: ${experiment.method.name}, ${dataset.name} (${splits.fit.length} fit / ${splits.val.length} validation / ${dataset.test.n} test images), run directory ${run.dir}`);
  try {
    run.append({ type: 'phase', phase: 'teacher' });
    const teacher = await teacherPhase(ctx);
    // The student alone, trained (or reused) before the distilled student: the baseline of the gain.
    const alone = withAlone ? await alonePhase(ctx, teacher) : undefined;
    const student = buildModel(experiment.student, {
      inputShape: dataset.shape,
      numClasses: dataset.numClasses,
      seed: experiment.seed,
      experimentFile: file,
      field: 'student',
    });
    const method = getMethod(experiment.method.name, file)({
      spec: experiment.method,
      numClasses: dataset.numClasses,
      studentTapChannels: student.tapChannels,
      teacherTapChannels: teacher.built.tapChannels,
      behaviourSizes: teacher.trajectory.meta.tapChannels,
      seed: experiment.seed,
    });
    if (method.needs.behaviour || method.needs.experience || method.needs.finalExperience) run.append({ type: 'phase', phase: 'tbt' });
    const meta = await metaPhase(ctx, teacher.trajectory, method.needs);
    run.append({ type: 'phase', phase: 'student' });
    const result = await studentPhase(ctx, teacher, student, method, meta);
    method.dispose();
    student.model.dispose();
    teacher.built.model.dispose();
    const seconds = before + (Date.now() - started) / 1000;
    const summary: Summary = {
      name: experiment.name,
      method: experiment.method.name,
      seed: experiment.seed,
      backend: prepared.backend,
      data: dataset.name,
      teacher: {
        model: isTeacherRun(experiment.teacher) ? 'reused' : experiment.teacher.model,
        testAcc: teacher.testAcc,
        params: teacher.built.params,
        fromRun: teacher.fromRun,
      },
      student: { model: experiment.student.model, testAcc: result.testAcc, params: result.params },
      studentAlone: alone ? { testAcc: alone.testAcc, fromRun: alone.fromRun } : undefined,
      gain: alone ? result.testAcc - alone.testAcc : undefined,
      seconds,
      runDir: run.dir,
      finished: new Date().toISOString(),
    };
    // A run killed between its `final` event and its `done` status finishes here again on
    // resume; the log keeps one `final`.
    if (!(resumed && run.events().some((e) => e.type === 'final'))) {
      run.append({
        type: 'final',
        teacherTestAcc: teacher.testAcc,
        studentTestAcc: result.testAcc,
        teacherParams: teacher.built.params,
        studentParams: result.params,
        seconds,
        ...(alone ? { studentAloneTestAcc: alone.testAcc, gain: result.testAcc - alone.testAcc } : {}),
      });
    }
    run.writeSummary(summary);
    run.writeStatus({ state: 'done', phase: 'final', progress: 1 });
    log(`done: teacher ${(teacher.testAcc * 100).toFixed(2)}%, student ${(result.testAcc * 100).toFixed(2)}% test accuracy`);
    if (alone) log(`${gainLine(alone.testAcc, result.testAcc, experiment.method.name) ?? ''}${alone.fromRun ? ` (student alone from ${alone.fromRun})` : ''}`);
    return { dir: run.dir, state: 'done', summary };
  } catch (e) {
    if (e instanceof StopRequested) {
      run.writeStatus({ state: 'stopped' });
      log('stopped; continue with "skd resume"');
      return { dir: run.dir, state: 'stopped' };
    }
    const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
    run.writeStatus({ state: 'failed', error: message });
    log(`failed: ${message}`);
    throw e;
  } finally {
    fs.appendFileSync(logFile, `${new Date().toISOString()} tensors alive: ${tf.memory().numTensors}\n`);
  }
}

/** Whether `pid` is a live process that could be a trainer (on Linux: a node process). */
function trainerAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // A pid reused by an unrelated program after a crash or reboot does not block the resume.
    return /node|skd/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true;
  }
}

/** The seed that picks the images and splits them (data.seed, else the experiment's seed). */
export function dataSeed(exp: Experiment): number {
  return exp.data.seed ?? exp.seed;
}

/** Paths in the experiment made absolute, so `experiment.json` in the run dir stays valid. */
function absolutePaths(exp: Experiment, file: string): Experiment {
  const out: Experiment = JSON.parse(JSON.stringify(exp)) as Experiment;
  if (out.data.dir) out.data.dir = resolveFrom(file, out.data.dir);
  if (isTeacherRun(out.teacher)) out.teacher.run = resolveFrom(file, out.teacher.run);
  if (out.method.module) out.method.module = resolveFrom(file, out.method.module);
  return out;
}
