import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { isTeacherRun, wantsStudentAlone, type Experiment, type ModelSpec, type TrainingSpec } from '../../protocol/experiment';
import { RUN_FILES } from '../../protocol/runDir';
import { getMethod } from '../methods';
import { buildModel } from '../models';
import { writeJsonAtomic } from '../runDir/atomicFile';
import type { RunContext } from './context';
import { relativeToFolder, resolveInFolder } from '../runDir/relocate';
import { studentPhase, type NoTeacher, type StudentPhaseOptions, type StudentResult } from './studentPhase';
import { dataFingerprint } from './teacherPhase';

/**
 * The student alone: the run's student, seed, data and training with cross-entropy only (the
 * `none` method), trained by the student loop into its own files, so a run can say what its
 * method gained. Reused instead of trained when the reused teacher's run directory already
 * holds it for exactly the same student, seed, training and data.
 */

export type DataFingerprint = ReturnType<typeof dataFingerprint>;

/** Everything the student alone's result depends on; two runs share it only when all agree. */
export interface AloneKey {
  student: ModelSpec;
  seed: number;
  training: TrainingSpec;
  /** The images (data set, subsample sizes, data seed, shape): the teacher trajectory's fingerprint. */
  data: DataFingerprint;
  /** Share held out for validation (decides the fit / validation split and the best epoch). */
  validation: number;
  /** The data's augmentation setting, compared as written (null: none). */
  augment: Experiment['data']['augment'] | null;
  /** `data.limit.student`: how many fit images train the student (absent: all of them). */
  studentLimit?: number;
}

/**
 * What the student alone needs of the run's teacher: the stages its epochs are cut into (as the
 * distilled student's are), and the run a reused teacher came from, which may hold it already.
 */
export interface AloneTeacher extends NoTeacher {
  fromRun?: string;
}

/** What `alone.json` holds: the result, what it was trained on, and where it came from when reused. */
export interface AloneRecord extends StudentResult {
  key: AloneKey;
  /** The run directory that trained it, relative to the one holding this file. */
  fromRun?: string;
}

export interface AloneResult {
  testAcc: number;
  params: number;
  /** Best validation accuracy (SKD's `ahead` stage check measures the teacher's stages against it). */
  valAcc?: number;
  /** Run directory the result was reused from (the one that trained it). */
  fromRun?: string;
}

const CHECKPOINT_FILE = 'alone-checkpoint.bin';
const STUDENT_DONE = 'student.json';

export function aloneKey(exp: Experiment, data: DataFingerprint): AloneKey {
  return {
    student: exp.student,
    seed: exp.seed,
    // The teacher's batch-norm setting does not touch the student alone.
    training: { ...exp.training, preciseBnTeacher: undefined },
    data,
    validation: exp.data.validation ?? 0.1,
    augment: exp.data.augment ?? null,
    // Absent, not null, without a limit: the keys of records written before it existed still match.
    studentLimit: exp.data.limit?.student,
  };
}

/** JSON with object keys sorted at every level: equal values, equal text, whatever the key order. */
export function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v as Record<string, unknown>)
          .sort()
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(value));
}

/** Strict: every field of both keys has the same JSON (key order aside). */
export function sameAloneKey(a: AloneKey, b: AloneKey): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function readJsonOrUndefined(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** A record's best validation accuracy, when it has a valid one (older records do not). */
function validationAccuracy(r: StudentResult): number | undefined {
  return typeof r.valAcc === 'number' && Number.isFinite(r.valAcc) ? r.valAcc : undefined;
}

function isResult(v: unknown): v is StudentResult {
  if (!v || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return typeof r.testAcc === 'number' && Number.isFinite(r.testAcc) && typeof r.params === 'number';
}

/**
 * A finished student-alone result in run directory `dir` trained on `key`: its own `alone.json`
 * (a run that trained or reused one), or, for a `none` run, its student itself. `fromRun` is the
 * directory that trained it.
 */
export function findReusableAlone(dir: string, key: AloneKey): { result: StudentResult; fromRun: string } | undefined {
  const rec = readJsonOrUndefined(path.join(dir, RUN_FILES.alone));
  // Records from before validation accuracies were kept are trained again: SKD's stage check needs it.
  const recValAcc = isResult(rec) ? validationAccuracy(rec) : undefined;
  if (isResult(rec) && recValAcc !== undefined && (rec as Partial<AloneRecord>).key && sameAloneKey((rec as AloneRecord).key, key)) {
    const from = (rec as AloneRecord).fromRun;
    return { result: { testAcc: rec.testAcc, params: rec.params, bestEpoch: rec.bestEpoch, valAcc: recValAcc }, fromRun: typeof from === 'string' && from ? resolveInFolder(dir, from) : dir };
  }
  const exp = readJsonOrUndefined(path.join(dir, RUN_FILES.experiment)) as Experiment | undefined;
  if (exp?.method?.name !== 'none' || !exp.student || !exp.training || !exp.data) return undefined;
  const student = readJsonOrUndefined(path.join(dir, STUDENT_DONE));
  // A `none` run that reused a teacher (every seed of a bench or sweep but the teacher's own)
  // holds no trajectory: the teacher's run does, with the images both were trained on.
  const trajectoryRun = isTeacherRun(exp.teacher) ? resolveInFolder(dir, exp.teacher.run) : dir;
  const traj = readJsonOrUndefined(path.join(trajectoryRun, RUN_FILES.trajectory, 'trajectory.json')) as { data?: DataFingerprint } | undefined;
  if (!isResult(student) || validationAccuracy(student) === undefined || !traj?.data) return undefined;
  if (!sameAloneKey(aloneKey(exp, traj.data), key)) return undefined;
  return { result: { testAcc: student.testAcc, params: student.params, bestEpoch: student.bestEpoch, valAcc: validationAccuracy(student) }, fromRun: dir };
}

/**
 * A finished student alone for `key` in a run directory beside `runDir` (the runs of one bench
 * or sweep share a folder: its `none` run of the same seed is this run's student alone). The
 * same key gives the same student, so which one is found does not change the result.
 */
export function findSiblingAlone(runDir: string, key: AloneKey): { result: StudentResult; fromRun: string } | undefined {
  const parent = path.dirname(runDir);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(parent, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const e of entries) {
    const dir = path.join(parent, e.name);
    if (!e.isDirectory() || dir === runDir) continue;
    const found = findReusableAlone(dir, key);
    // A record made by reuse points at the run that trained it.
    if (found) return found;
  }
  return undefined;
}

/** What finding a student alone reads of a run (the run need not have started training). */
type AloneContext = Pick<RunContext, 'run' | 'experiment' | 'dataset'>;

/**
 * A finished student alone that this run may take instead of training one: a run that needs it
 * only as the stage check's yardstick (bench and sweep runs, studentAlone false) also takes it
 * from a `none` run beside it; one that reports it trains its own, unless the reused teacher's
 * run (`fromRun`) holds it.
 */
function reusableAlone(ctx: AloneContext, key: AloneKey, fromRun: string | undefined): ReturnType<typeof findReusableAlone> {
  return (fromRun ? findReusableAlone(fromRun, key) : undefined) ?? (wantsStudentAlone(ctx.experiment) ? undefined : findSiblingAlone(ctx.run.dir, key));
}

/** Whether `alonePhase` would train the student alone (rather than read or reuse a finished one). */
export function aloneToTrain(ctx: AloneContext, fromRun?: string): boolean {
  if (fs.existsSync(ctx.run.file(RUN_FILES.alone))) return false;
  return reusableAlone(ctx, aloneKey(ctx.experiment, dataFingerprint(ctx)), fromRun) === undefined;
}

/**
 * Trains the student alone into `alone.json` / `alone-checkpoint.bin` (events of network
 * `alone`, no exported model), or reuses it from the reused teacher's run (or, as a yardstick
 * only, from a run beside it). Resumable: a
 * finished one is read back, an interrupted one continues from its checkpoint. `announce: false`
 * leaves out the `alone` phase event (the run wrote it when it started the student alone beside
 * its teacher, aloneBeside.ts).
 */
export async function alonePhase(ctx: RunContext, teacher: AloneTeacher, opts: { announce?: boolean } = {}): Promise<AloneResult> {
  const { experiment: exp, run } = ctx;
  const doneFile = run.file(RUN_FILES.alone);
  const key = aloneKey(exp, dataFingerprint(ctx));
  const existing = readJsonOrUndefined(doneFile);
  if (fs.existsSync(doneFile) && isResult(existing)) {
    const from = (existing as Partial<AloneRecord>).fromRun;
    return { testAcc: existing.testAcc, params: existing.params, valAcc: validationAccuracy(existing), fromRun: typeof from === 'string' && from ? resolveInFolder(run.dir, from) : undefined };
  }
  const found = reusableAlone(ctx, key, teacher.fromRun);
  if (found) {
    const rec: AloneRecord = { ...found.result, key, fromRun: relativeToFolder(run.dir, found.fromRun) };
    writeJsonAtomic(doneFile, rec);
    run.append({ type: 'phase', phase: 'alone', detail: `reused from ${found.fromRun}` });
    ctx.log(`student alone: reused from ${found.fromRun} (test accuracy ${(found.result.testAcc * 100).toFixed(2)}%)`);
    return { testAcc: found.result.testAcc, params: found.result.params, valAcc: found.result.valAcc, fromRun: found.fromRun };
  }
  if (opts.announce ?? true) run.append({ type: 'phase', phase: 'alone' });
  const result = await trainWithoutTeacher(ctx, teacher.stages, {
    doneFile: RUN_FILES.alone,
    checkpointFile: CHECKPOINT_FILE,
    network: 'alone',
    saveModel: false,
    record: { key },
  });
  ctx.log(`student alone: test accuracy ${(result.testAcc * 100).toFixed(2)}%`);
  return { testAcc: result.testAcc, params: result.params, valAcc: result.valAcc };
}

/**
 * The run's student trained with cross-entropy only (method `none`), its epochs cut into
 * `stages`: the student alone (with `opts` naming its files), or a `none` run's own student
 * (the defaults). Needing nothing of the teacher, it can train before or beside it.
 */
export async function trainWithoutTeacher(ctx: RunContext, stages: number, opts: StudentPhaseOptions): Promise<StudentResult> {
  const { dataset, experiment: exp } = ctx;
  // Built exactly as the student (same field, same seed): the same initial weights.
  const built = buildModel(exp.student, { inputShape: dataset.shape, numClasses: dataset.numClasses, seed: exp.seed, experimentFile: ctx.experimentFile, field: 'student' });
  const method = getMethod('none', ctx.experimentFile)({
    spec: { ...exp.method, name: 'none' },
    numClasses: dataset.numClasses,
    studentTapChannels: built.tapChannels,
    // Cross-entropy alone reads nothing of the teacher.
    teacherTapChannels: [],
    behaviourSizes: [],
    seed: exp.seed,
    tf,
  });
  try {
    return await studentPhase(ctx, { stages }, built, method, {}, opts);
  } finally {
    method.dispose();
    built.model.dispose();
  }
}
