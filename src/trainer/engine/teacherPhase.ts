import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { isTeacherRun, type Experiment, type ModelSpec } from '../../protocol/experiment';
import { RUN_FILES } from '../../protocol/runDir';
import { InputError } from '../errors';
import { crossEntropy } from '../methods/losses';
import { buildModel } from '../models';
import { loadModelDir, saveModelDir } from '../models/modelIO';
import type { BuiltModel } from '../models/types';
import { Trajectory } from '../skd/trajectory';
import { readJson, writeJsonAtomic } from '../runDir/atomicFile';
import { dataSeed, sharedLoopSpec, type RunContext } from './context';
import { allIndices, runModel } from './evaluate';
import { loopPreciseBnImages, recalibrateBatchNorm } from './preciseBn';
import { TrainLoop } from './trainLoop';
import { DEFAULT_BOUNDARIES, stagePlan, type StageBoundaries } from './schedule';
import { resolveFrom } from '../config/validate';
import * as path from 'node:path';

export interface TeacherResult {
  built: BuiltModel;
  trajectory: Trajectory;
  testAcc: number;
  /** Run directory the teacher came from, when reused. */
  fromRun?: string;
}

interface TeacherDone {
  testAcc: number;
  params: number;
  taps: string[];
  tapChannels: number[];
  model: string;
}

const DONE_FILE = 'teacher.json';

/**
 * Trains the teacher (or reuses an earlier run's) and records its trajectory: at every stage
 * end, the end-of-stage behaviour at each tap and the best-of-stage logits over all training
 * images. Finishes with the best overall checkpoint in `teacher/model/` (with its taps).
 */
export async function teacherPhase(ctx: RunContext): Promise<TeacherResult> {
  const spec = ctx.experiment.teacher;
  if (isTeacherRun(spec)) return reuseTeacher(ctx, resolveFrom(ctx.experimentFile, spec.run));
  const teacherDir = ctx.run.file(RUN_FILES.teacher);
  if (teacherFinished(ctx.run.dir)) return loadTeacher(ctx, ctx.run.dir);

  const { dataset, experiment: exp } = ctx;
  const built = buildModel(spec as ModelSpec, {
    inputShape: dataset.shape,
    numClasses: dataset.numClasses,
    seed: exp.seed,
    experimentFile: ctx.experimentFile,
    field: 'teacher',
  });
  const epochs = (spec as ModelSpec).epochs;
  const plan = teacherPlan(exp, spec as ModelSpec);
  const trajectory = Trajectory.create(ctx.run.file(RUN_FILES.trajectory), {
    stages: Math.max(...plan) + 1,
    plan,
    classes: dataset.numClasses,
    taps: built.taps,
    tapChannels: built.tapChannels,
    images: dataset.train.n,
    data: dataFingerprint(ctx),
  });
  trajectory.warn = (line) => ctx.run.warn(line);
  const all = allIndices(dataset.train.n);
  /**
   * What the trajectory records of this epoch's weights: the model as validation saw it, or,
   * with `preciseBnTeacher: "trajectory"`, with its batch-norm statistics recomputed as the
   * students' are (then with that validation accuracy, by which the stages' best checkpoints are
   * chosen); the moving averages come back afterwards, so the final teacher, its checkpoints and
   * the saved model keep them.
   */
  const trajectoryView = (descriptors: boolean, l: TrainLoop): { out: ReturnType<typeof runModel>; valAcc?: number } => {
    const count = exp.training.preciseBn ?? 0;
    if (exp.training.preciseBnTeacher !== 'trajectory' || count === 0) return { out: runModel(built.model, dataset, dataset.train, all, { descriptors }) };
    const kept = l.slots.map((sl) => sl.get());
    try {
      recalibrateBatchNorm(built.model, dataset, loopPreciseBnImages(ctx.splits.fit, count, exp.seed, 'teacher'), exp.training.batchSize);
      const out = runModel(built.model, dataset, dataset.train, all, { descriptors });
      // Measured as the train loop measures it, so that `true` and "trajectory" record the same.
      return { out, valAcc: runModel(built.model, dataset, dataset.train, ctx.splits.val).accuracy };
    } finally {
      l.restore(kept);
    }
  };
  const loop = new TrainLoop({
    ...sharedLoopSpec(ctx, 'teacher'),
    built,
    extraVars: [],
    epochs,
    stages: trajectory.meta.stages,
    plan,
    checkpointFile: path.join(teacherDir, 'checkpoint.bin'),
    losses: (b) => ({ ce: crossEntropy(b.outputs[0] as tf.Tensor2D, b.oneHot) }),
    afterEpoch: (info, l) => {
      // Every epoch's checkpoint logits (TET mixes them); at a stage end also the behaviour.
      const seen = trajectoryView(info.stageEnd, l);
      trajectory.recordEpoch({ epoch: info.epoch, stage: info.stage, valAcc: seen.valAcc ?? info.valAcc }, seen.out.logits);
      if (!info.stageEnd) return;
      // Experience from the stage's best checkpoint, whose logits were recorded at its epoch.
      const rec = seen.valAcc === undefined ? l.stageRecords[info.stage] : bestRecordedEpoch(trajectory, info.stage);
      const logits = trajectory.epochLogits(rec.bestEpoch);
      trajectory.record(info.stage, { logits, behaviour: seen.out.descriptors }, { bestEpoch: rec.bestEpoch, bestValAcc: rec.bestValAcc, endEpoch: info.epoch });
      ctx.log(`teacher stage ${info.stage + 1}: best epoch ${rec.bestEpoch + 1}, val acc ${(rec.bestValAcc * 100).toFixed(2)}%; trajectory recorded${seen.valAcc === undefined ? '' : ' (batch norm recomputed)'}`);
    },
  });
  if (loop.resume()) ctx.log('teacher: resumed from its last checkpoint');
  await loop.run();
  loop.swapIn('best');
  loop.dispose();
  if (exp.training.preciseBnTeacher === 'trajectory' && !trajectory.meta.final) {
    // The stages were recorded with recomputed statistics; the final teacher as it is saved.
    trajectory.recordFinal(loop.best, runModel(built.model, dataset, dataset.train, all).logits);
  }
  const testAcc = runModel(built.model, dataset, dataset.test, allIndices(dataset.test.n)).accuracy;
  await saveModelDir(path.join(teacherDir, 'model'), built.model, { family: (spec as ModelSpec).model, taps: built.taps });
  const done: TeacherDone = { testAcc, params: built.params, taps: built.taps, tapChannels: built.tapChannels, model: (spec as ModelSpec).model };
  writeJsonAtomic(path.join(teacherDir, DONE_FILE), done);
  ctx.log(`teacher: test accuracy ${(testAcc * 100).toFixed(2)}% (${built.params} parameters)`);
  return { built, trajectory, testAcc };
}

/** The best epoch of a stage by the validation accuracies the trajectory recorded (the first of equals). */
function bestRecordedEpoch(trajectory: Trajectory, stage: number): { bestEpoch: number; bestValAcc: number } {
  let best = { bestEpoch: -1, bestValAcc: -1 };
  for (const r of trajectory.epochRecords) if (r.stage === stage && r.valAcc > best.bestValAcc) best = { bestEpoch: r.epoch, bestValAcc: r.valAcc };
  return best;
}

/** Whether the teacher of the run in `dir` has finished training (its model and trajectory are complete). */
export function teacherFinished(dir: string): boolean {
  return fs.existsSync(path.join(dir, RUN_FILES.teacher, DONE_FILE));
}

/** The stage of each epoch of a teacher this experiment trains (its trajectory is cut so). */
function teacherPlan(exp: Experiment, spec: ModelSpec): number[] {
  return stagePlan(spec.epochs, exp.method.stages, exp.training, exp.method.boundaries ?? DEFAULT_BOUNDARIES);
}

/** How many stages the trajectory of a teacher this experiment trains will hold, known before it trains. */
export function trainedTeacherStages(exp: Experiment, spec: ModelSpec): number {
  return Math.max(...teacherPlan(exp, spec)) + 1;
}

export function dataFingerprint(ctx: Pick<RunContext, 'dataset' | 'experiment'>) {
  const d = ctx.dataset;
  return { name: d.name, train: d.train.n, test: d.test.n, seed: dataSeed(ctx.experiment), shape: [...d.shape] };
}

async function loadTeacher(ctx: RunContext, runDir: string, fromRun?: string): Promise<TeacherResult> {
  const teacherDir = path.join(runDir, RUN_FILES.teacher);
  const done = readJson<TeacherDone>(path.join(teacherDir, DONE_FILE));
  const model = await loadModelDir(path.join(teacherDir, 'model'));
  const trajectory = Trajectory.open(path.join(runDir, RUN_FILES.trajectory));
  trajectory.warn = (line) => ctx.run.warn(line);
  const built: BuiltModel = { model, taps: done.taps, tapChannels: done.tapChannels, params: done.params };
  return { built, trajectory, testAcc: done.testAcc, fromRun };
}

/**
 * The reused teacher's stages must end where this experiment's `method.boundaries` would end
 * them: the run would otherwise learn from stages that its experiment.json does not describe.
 * Judged on the recorded plan against the one the teacher run's own schedule gives, so a
 * schedule on which both cuts agree (a constant learning rate) passes either way.
 */
function checkBoundaries(ctx: RunContext, dir: string, teacherRun: Experiment, recordedPlan: number[] | undefined): void {
  if (!recordedPlan) return;
  const stages = Math.max(...recordedPlan) + 1;
  const asked = ctx.experiment.method.boundaries ?? DEFAULT_BOUNDARIES;
  const planBy = (b: StageBoundaries) => stagePlan(recordedPlan.length, stages, teacherRun.training, b);
  if (planBy(asked).join() === recordedPlan.join()) return;
  const other: StageBoundaries = asked === 'lr' ? 'epochs' : 'lr';
  const fix = planBy(other).join() === recordedPlan.join() ? `by "${other}": set method.boundaries to "${other}"` : 'at other epochs: set method.boundaries';
  throw new InputError(ctx.experimentFile, 'method.boundaries', `is "${asked}", but the teacher in ${dir} recorded its stages ${fix}, or train a new teacher`);
}

/**
 * Like the rest of `training` (its learning rate, its schedule), `preciseBnTeacher` describes a
 * teacher that this run trains; a reused one was recorded as its own run says. Said in the log
 * where the two differ, so that nobody reads this run's setting as the teacher's.
 */
function noteTeacherBatchNorm(ctx: RunContext, file: string, teacherRun: Experiment): void {
  const recorded = teacherRun.training?.preciseBnTeacher ?? false;
  const asked = ctx.experiment.training.preciseBnTeacher ?? false;
  if (recorded === asked) return;
  const how = recorded === true ? 'with precise batch norm' : recorded === 'trajectory' ? 'with precise batch norm in its trajectory' : 'without precise batch norm';
  ctx.log(`teacher: recorded ${how} (training.preciseBnTeacher ${JSON.stringify(recorded)} in ${file}); this run's ${JSON.stringify(asked)} applies only to a teacher it trains`);
}

/** Reuses an earlier run's teacher; its data must be the very same images and splits. */
async function reuseTeacher(ctx: RunContext, dir: string): Promise<TeacherResult> {
  if (!fs.existsSync(path.join(dir, RUN_FILES.teacher, DONE_FILE))) {
    throw new InputError(ctx.experimentFile, 'teacher.run', `${dir} has no finished teacher (teacher/${DONE_FILE}); let that run finish first`);
  }
  const result = await loadTeacher(ctx, dir, dir);
  const want = dataFingerprint(ctx);
  const have = result.trajectory.meta.data;
  if (JSON.stringify(want) !== JSON.stringify(have)) {
    throw new InputError(
      ctx.experimentFile,
      'teacher.run',
      `the teacher in ${dir} was recorded on other data (${JSON.stringify(have)}); this experiment loads ${JSON.stringify(want)}: use the same data, limits and seed`,
    );
  }
  const recorded = result.trajectory.meta.stages;
  const wanted = Math.min(ctx.experiment.method.stages, ctx.experiment.student.epochs);
  if (recorded !== wanted && ctx.experiment.method.stages !== recorded) {
    // The student's stages follow the teacher's recorded ones; silently using another count
    // would leave experiment.json describing a run that did not happen.
    throw new InputError(ctx.experimentFile, 'method.stages', `is ${ctx.experiment.method.stages}, but the teacher in ${dir} recorded ${recorded} stages: set method.stages to ${recorded}, or train a new teacher`);
  }
  // The experiment of the run that trained the teacher (absent in runs older than the file).
  const file = path.join(dir, RUN_FILES.experiment);
  const teacherRun = fs.existsSync(file) ? readJson<Experiment>(file) : undefined;
  const trained = teacherRun && !isTeacherRun(teacherRun.teacher) ? teacherRun : undefined;
  if (trained) checkBoundaries(ctx, dir, trained, result.trajectory.meta.plan);
  ctx.log(`teacher: reused from ${dir} (test accuracy ${(result.testAcc * 100).toFixed(2)}%)`);
  if (trained) noteTeacherBatchNorm(ctx, file, trained);
  return result;
}
