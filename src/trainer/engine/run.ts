import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { isTeacherRun, trainsStudentAlone, wantsStudentAlone, type BackendName, type Experiment, type ModelSpec } from '../../protocol/experiment';
import { gainLine } from '../../protocol/gain';
import { RUN_FILES, type MetricEvent, type Phase, type Summary } from '../../protocol/runDir';
import { selectBackend } from '../backend/select';
import { checkedExperiment, resolveFrom } from '../config/validate';
import { loadExperimentWithOverrides, type Override } from '../config/overrides';
import { loadDataset } from '../data';
import type { LoadedDataset } from '../data/types';
import { InputError } from '../errors';
import { getMethod } from '../methods';
import { loadMethodPlugin } from '../plugins';
import { buildModel } from '../models';
import { readJson } from '../runDir/atomicFile';
import { isTrainerAlive } from '../runDir/trainerIdentity';
import { alonePhase, aloneToTrain, type AloneResult } from './alonePhase';
import { startAloneBeside, threadable, type AloneBeside, type BesideResult, type BesideRole } from './aloneBeside';
import { aloneBesideByDefault } from './aloneBesideSetting';
import { priorActiveSeconds } from './activeTime';
import { collectProvenance, recordProvenance } from './provenance';
import { relativeToFolder, relocatable } from '../runDir/relocate';
import { appendLogLine, dataSeed, progressThrottle, type RunContext } from './context';
import { metaPhase } from './metaPhase';
import { cannotCreate, RunDirectory } from '../runDir/runDirectory';
import { createRunDir } from '../runDir/runFiles';
import { makeSplits } from './splits';
import { studentFinished, studentPhase, type StudentResult } from './studentPhase';
import { teacherFinished, teacherPhase, trainedTeacherStages, type TeacherResult } from './teacherPhase';
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
  /**
   * Whether the student alone (or a `none` run's student) may train on a second thread while the
   * teacher trains (aloneBeside.ts); absent: where a core is spare (`aloneBesideByDefault`).
   * Either way it is the same student, epoch for epoch.
   */
  aloneBeside?: boolean;
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

/** The same without a student alone (`"studentAlone": false`, method `none`), or with one trained beside the teacher. */
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
  const experiment = absolutePaths(loadExperimentWithOverrides(file, opts.overrides), file);
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
  if (status?.state === 'running' && status.pid !== undefined && status.pid !== process.pid && isTrainerAlive(status)) {
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
  /** The tf.js backend chosen (`wasm`, `cpu`, ...). */
  backendName: BackendName;
  dataset: Awaited<ReturnType<typeof loadDataset>>;
}

/** Everything that can fail on bad input, done before the run directory is touched. */
async function prepare(experiment: Experiment, file: string, opts: RunOptions): Promise<Prepared> {
  if (experiment.method.module) loadMethodPlugin(resolveFrom(file, experiment.method.module));
  getMethod(experiment.method.name, file);
  const backend = await selectBackend((opts.backend ?? experiment.backend) as Experiment['backend'], {
    file,
    field: opts.backend ? 'backend (overridden by --backend)' : 'backend',
  });
  const dataset = await loadDataset(experiment.data, { experimentFile: file, baseDir: path.dirname(file) }, dataSeed(experiment));
  // Building both networks once checks that they fit the data's shape.
  const probe = (spec: ModelSpec, field: string) => {
    const built = buildModel(spec, { inputShape: dataset.shape, numClasses: dataset.numClasses, seed: experiment.seed, experimentFile: file, field });
    built.model.dispose();
  };
  if (!isTeacherRun(experiment.teacher)) probe(experiment.teacher, 'teacher');
  probe(experiment.student, 'student');
  opts.log?.(`backend: ${backend.detail}`);
  return { backend: backend.detail, backendName: backend.name as BackendName, dataset };
}

/** Trains a prepared run in its directory and records how it ended (done, stopped or failed). */
async function execute(run: RunDirectory, experiment: Experiment, file: string, prepared: Prepared, opts: RunOptions, resumed: boolean): Promise<RunOutcome> {
  const started = Date.now();
  // A resumed run's time includes its earlier sessions' active time (not the pause between them).
  const before = resumed ? priorActiveSeconds(run.events(), run.status()) : 0;
  if (opts.onEvent) run.onEvent((e) => opts.onEvent!(e, experiment));
  const role = opts.aloneBeside ?? aloneBesideByDefault() ? besideRole(run, experiment, prepared) : undefined;
  const ctx = runContext(run, experiment, file, prepared.dataset, opts, role === 'alone');
  begin(ctx, prepared.backend, resumed);
  try {
    const trained = await trainPhases(ctx, role ? { role, backend: prepared.backendName } : undefined, opts);
    const summary = summarize(ctx, prepared.backend, trained, before + (Date.now() - started) / 1000);
    finish(ctx, trained, summary, resumed);
    return { dir: run.dir, state: 'done', summary };
  } catch (e) {
    return ended(ctx, e);
  } finally {
    fs.appendFileSync(run.file(RUN_FILES.log), `${new Date().toISOString()} tensors alive: ${tf.memory().numTensors}\n`);
  }
}

/** What the phases of a run produced, as plain numbers: their models are gone once they are done. */
interface Trained {
  teacher: { testAcc: number; params: number; fromRun?: string };
  alone?: AloneResult;
  student: StudentResult;
}

/** What every phase works with: the run's log, its splits, and progress written to status.json. */
function runContext(run: RunDirectory, experiment: Experiment, file: string, dataset: LoadedDataset, opts: RunOptions, aloneBeside: boolean): RunContext {
  const logFile = run.file(RUN_FILES.log);
  const spans = trainsStudentAlone(experiment) && !aloneBeside ? PHASE_SPAN : PHASE_SPAN_WITHOUT_ALONE;
  // status.json is rewritten at most twice a second.
  const due = progressThrottle();
  return {
    experiment,
    experimentFile: file,
    run,
    dataset,
    splits: makeSplits(dataset, experiment.data.validation ?? 0.1, dataSeed(experiment), experiment.data.limit?.student),
    stop: opts.stop ?? { requested: false },
    log: (message) => {
      appendLogLine(logFile, message);
      opts.log?.(message);
    },
    progress: (phase, fraction) => {
      const [a, b] = spans[phase];
      if (due(fraction)) run.writeStatus({ state: 'running', phase, progress: a + (b - a) * Math.min(1, fraction) });
    },
  };
}

/** Marks the run as running and records where it runs and on what data (the `run` event, the log). */
function begin(ctx: RunContext, backend: string, resumed: boolean): void {
  const { run, experiment, dataset, splits } = ctx;
  const fewer = splits.studentFit.length < splits.fit.length ? splits.studentFit.length : undefined;
  run.writeStatus({ state: 'running', phase: 'setup', backend, error: undefined });
  recordProvenance(run.dir, collectProvenance(ctx.experimentFile, backend), resumed);
  run.append({
    type: 'run',
    name: experiment.name,
    method: experiment.method.name,
    backend,
    resumed,
    // No `student` key at all without a subset: the streamed event equals the line written.
    data: { name: dataset.name, train: splits.fit.length, ...(fewer === undefined ? {} : { student: fewer }), validation: splits.val.length, test: dataset.test.n, shape: [...dataset.shape], classes: dataset.numClasses },
  });
  const studentPart = fewer === undefined ? '' : `, the student learns from ${fewer} of the fit images`;
  ctx.log(`${resumed ? 'resuming' : 'starting'} ${experiment.name}: ${experiment.method.name}, ${dataset.name} (${splits.fit.length} fit / ${splits.val.length} validation / ${dataset.test.n} test images${studentPart}), run directory ${run.dir}`);
}

/**
 * Which student, if any, this run trains on a second thread while its teacher trains
 * (aloneBeside.ts), if asked to: its student alone, or, for method `none`, its own student (the
 * student alone itself); only when it trains the teacher and that student, from the start of
 * the teacher, on a backend that runs per thread.
 */
function besideRole(run: RunDirectory, experiment: Experiment, prepared: Prepared): BesideRole | undefined {
  if (isTeacherRun(experiment.teacher) || teacherFinished(run.dir) || !threadable(prepared.backendName)) return undefined;
  if (trainsStudentAlone(experiment)) return aloneToTrain({ run, experiment, dataset: prepared.dataset }) ? 'alone' : undefined;
  return experiment.method.name === 'none' && !studentFinished(run.dir) ? 'student' : undefined;
}

/**
 * The phases in order: teacher, the student alone (trained or reused before the distilled
 * student: the baseline of the gain), meta-networks, distilled student. With `besideOn` the
 * student alone, or a `none` run's own student, trains on a second thread while the teacher
 * trains. The models and the method are disposed however the phases end, so a run that stops or
 * fails frees its tensors too.
 */
async function trainPhases(ctx: RunContext, besideOn: { role: BesideRole; backend: BackendName } | undefined, opts: RunOptions): Promise<Trained> {
  const { run, experiment, dataset } = ctx;
  const owned: { dispose(): unknown }[] = [];
  try {
    let beside: AloneBeside | undefined;
    // Reported as the run's progress once the teacher is done and the run waits on it.
    let waiting = false;
    if (besideOn) {
      const phase = besideOn.role === 'alone' ? 'alone' : 'student';
      // Announced before the teacher: the last phase event stays the one the run is waiting on.
      run.append({ type: 'phase', phase, detail: 'on a second thread, beside the teacher' });
      ctx.log(`${besideOn.role === 'alone' ? 'student alone' : 'student'}: training on a second thread, beside the teacher`);
      beside = startAloneBeside(ctx, besideOn.role, besideOn.backend, trainedTeacherStages(experiment, experiment.teacher as ModelSpec), {
        echo: (line) => opts.log?.(line),
        relay: (e) => run.notify(e),
        progress: (f) => waiting && ctx.progress(phase, f),
      });
    }
    run.append({ type: 'phase', phase: 'teacher' });
    let teacher: TeacherResult;
    try {
      teacher = await teacherPhase(ctx);
    } catch (e) {
      // Stopped or failed: the student beside it checkpoints and stops too, and resumes with the run.
      await beside?.stop();
      throw e;
    }
    owned.push(teacher.built.model);
    waiting = true;
    const teacherPart = { testAcc: teacher.testAcc, params: teacher.built.params, fromRun: teacher.fromRun };
    if (beside?.role === 'student') {
      const result = await studentBeside(ctx, beside);
      if (result) return { teacher: teacherPart, student: result };
    }
    if (trainsStudentAlone(experiment) && !wantsStudentAlone(experiment)) {
      ctx.log('student alone: the yardstick of SKD\'s stage check (method.tet.check "ahead" or "ahead-only"; "confidence" needs none), not reported (studentAlone is false)');
    }
    const alone = trainsStudentAlone(experiment) ? await studentAlone(ctx, teacher, beside) : undefined;
    const student = buildModel(experiment.student, {
      inputShape: dataset.shape,
      numClasses: dataset.numClasses,
      seed: experiment.seed,
      experimentFile: ctx.experimentFile,
      field: 'student',
    });
    owned.push(student.model);
    const method = getMethod(experiment.method.name, ctx.experimentFile)({
      spec: experiment.method,
      numClasses: dataset.numClasses,
      studentTapChannels: student.tapChannels,
      teacherTapChannels: teacher.built.tapChannels,
      behaviourSizes: teacher.trajectory.meta.tapChannels,
      seed: experiment.seed,
      tf,
    });
    owned.push(method);
    if (method.needs.behaviour || method.needs.experience || method.needs.finalExperience) run.append({ type: 'phase', phase: 'tbt' });
    const meta = await metaPhase(ctx, teacher.trajectory, method.needs, alone?.valAcc);
    run.append({ type: 'phase', phase: 'student' });
    const result = await studentPhase(ctx, teacher, student, method, meta);
    // Trained only as the stage check's yardstick, the student alone is not reported.
    const reported = wantsStudentAlone(experiment) ? alone : undefined;
    return { teacher: teacherPart, alone: reported, student: result };
  } finally {
    // Newest first: the method, then the student, then the teacher.
    for (const item of owned.reverse()) item.dispose();
  }
}

/**
 * The student alone once the teacher is done: trained, read back or reused here, or the outcome
 * of the one trained beside the teacher. Should that one have failed, it trains here, from its
 * last checkpoint.
 */
async function studentAlone(ctx: RunContext, teacher: TeacherResult, beside: AloneBeside | undefined): Promise<AloneResult> {
  const fromTeacher = { fromRun: teacher.fromRun, stages: teacher.trajectory.meta.stages };
  if (beside?.role !== 'alone') return alonePhase(ctx, fromTeacher);
  if (!fs.existsSync(ctx.run.file(RUN_FILES.alone))) ctx.run.append({ type: 'phase', phase: 'alone', detail: 'the teacher is done; finishing the student alone' });
  const result = await besideOutcome(ctx, beside, 'the student alone');
  return result ?? alonePhase(ctx, fromTeacher);
}

/**
 * A `none` run's student trained beside the teacher, once the teacher is done; undefined when
 * its thread failed (the run then trains it as usual, from its last checkpoint).
 */
async function studentBeside(ctx: RunContext, beside: AloneBeside): Promise<StudentResult | undefined> {
  if (!studentFinished(ctx.run.dir)) ctx.run.append({ type: 'phase', phase: 'student', detail: 'the teacher is done; finishing the student' });
  const result = await besideOutcome(ctx, beside, 'the student');
  if (!result) return undefined;
  if (!('bestEpoch' in result)) throw new Error('the student trained beside the teacher came back without its best epoch');
  return result;
}

/** The result of the student trained beside the teacher; a stop is passed on, a failure said and answered with undefined. */
async function besideOutcome(ctx: RunContext, beside: AloneBeside, what: string): Promise<BesideResult | undefined> {
  const outcome = await beside.outcome();
  if ('result' in outcome) return outcome.result;
  if ('stopped' in outcome) throw new StopRequested();
  ctx.run.warn(`${what} could not train beside the teacher (${outcome.error}); training it now`);
  return undefined;
}

/** The run's summary.json; its paths are relative (`runDir` is the folder's name, `fromRun` relative to it), so a moved run stays true. */
function summarize(ctx: RunContext, backend: string, trained: Trained, seconds: number): Summary {
  const { experiment, run } = ctx;
  const { teacher, alone, student } = trained;
  return {
    name: experiment.name,
    method: experiment.method.name,
    seed: experiment.seed,
    backend,
    data: ctx.dataset.name,
    teacher: {
      model: isTeacherRun(experiment.teacher) ? 'reused' : experiment.teacher.model,
      testAcc: teacher.testAcc,
      params: teacher.params,
      ...(teacher.fromRun ? { fromRun: relativeToFolder(run.dir, teacher.fromRun) } : {}),
    },
    student: { model: experiment.student.model, testAcc: student.testAcc, params: student.params, ...(student.testCorrect ? { testCorrect: student.testCorrect } : {}) },
    studentAlone: alone ? { testAcc: alone.testAcc, ...(alone.fromRun ? { fromRun: relativeToFolder(run.dir, alone.fromRun) } : {}) } : undefined,
    gain: alone ? student.testAcc - alone.testAcc : undefined,
    seconds,
    runDir: path.basename(run.dir),
    finished: new Date().toISOString(),
  };
}

/** Records a finished run: its `final` event, summary.json, the `done` status and the closing log lines. */
function finish(ctx: RunContext, trained: Trained, summary: Summary, resumed: boolean): void {
  const { run } = ctx;
  const { teacher, alone, student } = trained;
  // A run killed between its `final` event and its `done` status finishes here again on
  // resume; the log keeps one `final`.
  if (!(resumed && run.events().some((e) => e.type === 'final'))) {
    run.append({
      type: 'final',
      teacherTestAcc: teacher.testAcc,
      studentTestAcc: student.testAcc,
      teacherParams: teacher.params,
      studentParams: student.params,
      seconds: summary.seconds,
      ...(alone ? { studentAloneTestAcc: alone.testAcc, gain: student.testAcc - alone.testAcc } : {}),
    });
  }
  run.writeSummary(summary);
  run.writeStatus({ state: 'done', phase: 'final', progress: 1 });
  ctx.log(`done: teacher ${(teacher.testAcc * 100).toFixed(2)}%, student ${(student.testAcc * 100).toFixed(2)}% test accuracy`);
  if (alone) ctx.log(`${gainLine(alone.testAcc, student.testAcc, ctx.experiment.method.name) ?? ''}${alone.fromRun ? ` (student alone from ${alone.fromRun})` : ''}`);
}

/** A run that did not finish: stopped (resumable) answers as such; a failure is recorded, then thrown on. */
function ended(ctx: RunContext, e: unknown): RunOutcome {
  if (e instanceof StopRequested) {
    ctx.run.writeStatus({ state: 'stopped' });
    ctx.log('stopped; continue with "skd resume"');
    return { dir: ctx.run.dir, state: 'stopped' };
  }
  const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
  ctx.run.writeStatus({ state: 'failed', error: message });
  ctx.log(`failed: ${message}`);
  throw e;
}

/** Paths in the experiment made absolute, so `experiment.json` in the run dir stays valid. */
function absolutePaths(exp: Experiment, file: string): Experiment {
  const out: Experiment = JSON.parse(JSON.stringify(exp)) as Experiment;
  if (out.data.dir) out.data.dir = resolveFrom(file, out.data.dir);
  if (isTeacherRun(out.teacher)) out.teacher.run = resolveFrom(file, out.teacher.run);
  if (out.method.module) out.method.module = resolveFrom(file, out.method.module);
  return out;
}
