import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { DEFAULT_WARMUP_LABELS } from '../../protocol/experiment';
import { RUN_FILES, type CorrectImages, type Network } from '../../protocol/runDir';
import type { DistillMethod, TeacherSignals } from '../methods/types';
import type { BuiltModel } from '../models/types';
import { loadModelDir, saveModelDir } from '../models/modelIO';
import { gatherRows } from '../skd/metrics';
import { finalTeacherLogits } from '../skd/tet';
import { readJson, writeJsonAtomic } from '../runDir/atomicFile';
import { encodeCorrect } from '../runDir/heldOutValidation';
import { sharedLoopSpec, type RunContext } from './context';
import { allIndices, runModel } from './evaluate';
import type { MetaTargets } from './metaPhase';
import type { TeacherResult } from './teacherPhase';
import { TrainLoop } from './trainLoop';
import { defaultWarmup, warmedUp } from '../methods/warmup';
import { StudentHistory } from './studentHistory';
import { checkedTargetStage, experienceStage, stagePlan, teachesAStage } from './schedule';

export interface StudentResult {
  testAcc: number;
  params: number;
  bestEpoch: number;
  /** Validation accuracy at the best epoch (absent in records written before it was kept). */
  valAcc?: number;
  /** Which test images it gets right (absent in records written before it was kept): the bench's standard errors over images. */
  testCorrect?: CorrectImages;
}

const DONE_FILE = 'student.json';

/** Whether the run in `dir` has finished its (distilled) student. */
export function studentFinished(dir: string): boolean {
  return fs.existsSync(path.join(dir, DONE_FILE));
}

/**
 * What a student without teacher signals (the student alone, method `none`) needs of its
 * teacher: only the number of stages its epochs are cut into. It can then train before, or
 * beside, the teacher (aloneBeside.ts).
 */
export interface NoTeacher {
  stages: number;
}

/**
 * Where one student phase keeps its files and how it reports: the distilled student (the
 * defaults) or the student alone (`alone.json`, `alone-checkpoint.bin`, network `alone`, no
 * exported model), trained by the same loop.
 */
export interface StudentPhaseOptions {
  /** File in the run directory that marks the phase finished and holds its result. */
  doneFile?: string;
  checkpointFile?: string;
  /** Network name of its events (and of its checkpoint slots). */
  network?: Network;
  /** Whether the best weights become the exported `student/` model. */
  saveModel?: boolean;
  /** Extra fields written into the done file beside the result (e.g. what it was trained on). */
  record?: Record<string, unknown>;
}

/**
 * Distils the student stage by stage: each batch gets the teacher signals the method asked
 * for (cached per image from the trajectory and the meta-networks, or, for feature methods,
 * the final teacher's feature maps computed on the fly), and the method's named loss terms.
 * The best-validation checkpoint becomes `student/`: a tf.js model with the logits as output.
 */
export async function studentPhase(
  ctx: RunContext,
  teacher: TeacherResult | NoTeacher,
  built: BuiltModel,
  method: DistillMethod,
  meta: MetaTargets,
  opts: StudentPhaseOptions = {},
): Promise<StudentResult> {
  const network = opts.network ?? 'student';
  const doneFile = ctx.run.file(opts.doneFile ?? DONE_FILE);
  if (fs.existsSync(doneFile)) return readJson<StudentResult>(doneFile);
  const { dataset, experiment: exp } = ctx;
  const needs = method.needs;
  const trained = 'trajectory' in teacher ? teacher : undefined;
  if (!trained && Object.values(needs).some(Boolean)) throw new Error(`${method.name}: its student needs the teacher's signals, and no teacher was given`);
  const teacherStages = 'trajectory' in teacher ? teacher.trajectory.meta.stages : teacher.stages;
  const classes = dataset.numClasses;
  const rows = (a: Float32Array, width: number, idx: Int32Array) => tf.tensor2d(gatherRows(a, width, idx), [idx.length, width]);
  const finalLogits = trained && needs.finalLogits ? finalTeacherLogits(trained.trajectory, needs.correctedFinal === true, dataset.train.y, (line) => ctx.log(line)) : undefined;
  // The student's own stages: equal shares of its epochs (the teacher's trajectory is cut by
  // `method.boundaries`), so the student spends its first stages looking ahead; each maps to the
  // teacher stage it learns from.
  const plan = stagePlan(exp.student.epochs, teacherStages, exp.training, 'epochs');
  const studentStages = Math.max(...plan) + 1;
  const curriculum = method.curriculum ?? 'aligned';
  // A stage that TET found does not add to the final teacher on held-out images is not looked
  // ahead to: the student learns from the final teacher then (experience and behaviour alike).
  const teacherStageOf = (k: number) => checkedTargetStage(k, studentStages, teacherStages, curriculum, meta.addsToFinal);
  // Once the student learns from the final teacher, the latest earlier stage that the stage
  // check passed is still taught next to it (`tet.late`, default on; docs/method.md).
  // Without stages (`skd-no-stages`) there is no stage term, late or not.
  const late = curriculum !== 'none' && exp.method.tet?.late !== false;
  const experienceStageOf = experienceStage(meta.addsToFinal, teacherStages, late);
  // Say so when the stage check leaves SKD nothing to teach beyond the final teacher: users
  // otherwise see SKD equal KD without knowing why.
  if (meta.addsToFinal && curriculum !== 'none' && teacherStages > 1 && !teachesAStage(meta.addsToFinal, studentStages, teacherStages, curriculum, late)) {
    ctx.log(noStageTaughtLine(method.name, exp.method.tbt?.final === true));
  }
  // The action form of the behaviour term reads the student's own behaviour at the start of each
  // of its stages (recorded before the stage's first batch, outside the gradient tape).
  const history = needs.actions ? new StudentHistory(built.model, dataset, (k) => ctx.run.file(`${network}-stage-${k + 1}-behaviour.bin`)) : undefined;
  const warmup = exp.method.warmup ?? defaultWarmup(exp.student.epochs);
  const fromLabels = exp.method.warmupLabels ?? DEFAULT_WARMUP_LABELS;
  const loop = new TrainLoop({
    ...sharedLoopSpec(ctx, network),
    // The student's data order whatever the label: the student alone is a `none` run's student.
    dataStream: 'student',
    built,
    extraVars: method.extraVariables(),
    epochs: exp.student.epochs,
    stages: studentStages,
    plan,
    checkpointFile: ctx.run.file(opts.checkpointFile ?? 'student-checkpoint.bin'),
    // Each later stage starts from the weights the stage before it ends with.
    afterEpoch: history ? (info) => (info.stageEnd && info.stage + 1 < studentStages ? history.record(info.stage + 1) : undefined) : undefined,
    losses: (b) => {
      const signals: TeacherSignals = {};
      const t = teacherStageOf(b.stage);
      if (finalLogits) signals.finalLogits = rows(finalLogits, classes, b.indices);
      const e = experienceStageOf(t);
      if (trained) {
        const traj = trained.trajectory;
        // RCO reads every stage's logits, the last one too; SKD without TET only the stages it teaches.
        const raw = needs.stageCheck ? e : t;
        if (needs.stageLogits && raw !== undefined) signals.stageLogits = rows(traj.stageLogits(raw), classes, b.indices);
        if (needs.experience && e !== undefined) signals.experience = rows(meta.experience![e], classes, b.indices);
        if (needs.finalExperience) signals.finalExperience = rows(meta.experience![teacherStages - 1], classes, b.indices);
        if (needs.behaviour) signals.behaviour = meta.behaviour![t].map((a, l) => rows(a, traj.meta.tapChannels[l], b.indices));
        // The teacher's action is from its recorded behaviour of the stage before to the target's.
        if (needs.actions && t > 0) signals.previousBehaviour = traj.stage(t - 1).behaviour.map((a, l) => rows(a, traj.meta.tapChannels[l], b.indices));
        if (needs.teacherFeatures) {
          const outs = trained.built.model.apply(b.x, { training: false }) as tf.Tensor[];
          signals.features = outs.slice(1) as tf.Tensor4D[];
        }
      }
      const studentStart = history?.at(b.stage).map((a, l) => rows(a, a.length / dataset.train.n, b.indices));
      const terms = method.losses({
        labels: b.labels,
        oneHot: b.oneHot,
        studentLogits: b.outputs[0] as tf.Tensor2D,
        studentFeatures: b.outputs.slice(1) as tf.Tensor4D[],
        studentStart,
        teacher: signals,
        epoch: b.epoch,
        epochs: exp.student.epochs,
        stage: b.stage,
        stages: studentStages,
        teacherStage: t,
        teacherStages,
      });
      return method.selfWarmup ? terms : warmedUp(terms, b.progress, warmup, method.labelWeight, fromLabels);
    },
  });
  if (loop.resume()) ctx.log(`${network}: resumed from its last checkpoint`);
  if (history && !loop.finished) history.ensure(plan[loop.nextEpoch]);
  await loop.run();
  loop.swapIn('best');
  loop.dispose();
  const { accuracy: testAcc, right } = runModel(built.model, dataset, dataset.test, allIndices(dataset.test.n));
  if (opts.saveModel ?? true) await saveStudent(ctx, built.model);
  const result: StudentResult = { testAcc, params: built.params, bestEpoch: loop.best.epoch, valAcc: loop.best.valAcc, testCorrect: encodeCorrect(right) };
  writeJsonAtomic(doneFile, { ...opts.record, ...result });
  return result;
}

/** The exported student: the same weights, the logits as the only output, and its input spec. */
async function saveStudent(ctx: RunContext, model: tfl.LayersModel): Promise<void> {
  const logitsOnly = tfl.model({ inputs: model.inputs, outputs: model.outputs[0], name: 'student' });
  const ds = ctx.dataset;
  const dir = ctx.run.file(RUN_FILES.student);
  // Written beside, then renamed: `student/` is either absent or complete.
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  await saveModelDir(tmp, logitsOnly, {
    inputShape: ds.shape,
    layout: 'NHWC',
    mean: ds.mean,
    std: ds.std,
    normalization: '(pixel / 255 - mean[c]) / std[c]',
    labels: ds.labels,
    family: ctx.experiment.student.model,
    dataset: ds.name,
  });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
}

/** Loads a run's exported student (for evaluation and exports). */
export async function loadStudent(runDir: string): Promise<tfl.LayersModel> {
  return loadModelDir(path.join(runDir, RUN_FILES.student));
}

/** The run log's line when no intermediate teacher stage passed SKD's stage check. */
export function noStageTaughtLine(method: string, finalBehaviour: boolean): string {
  const how = finalBehaviour ? ' and its recorded behaviour (method.tbt.final)' : ': this student trains as with KD';
  return `${method}: no intermediate teacher stage passed the stage check (method.tet.check), so every student stage learns from the final teacher${how}`;
}
