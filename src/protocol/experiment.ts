/**
 * The experiment file (`*.skd.json`): the public contract read by the command line, the
 * language server and the extension. The JSON Schema in `schema/experiment.schema.json`
 * describes the same shape; keep the two in step (a unit test checks they agree on keys).
 */

export type DataFormatName = 'builtin' | 'idx' | 'cifar10' | 'cifar100' | 'folder' | string;

export interface DataSpec {
  format: DataFormatName;
  /** Name of a builtin data set (format `builtin`). */
  name?: string;
  /** Directory with the files (formats idx, cifar10, cifar100, folder). */
  dir?: string;
  /**
   * Optional subsampling of each split (stratified, seeded); `student`: at most this many of the
   * fit images train the student and the student alone, while the teacher trains on all of them.
   */
  limit?: { train?: number; test?: number; student?: number };
  /** Seed of the subsample and the validation split (default: the experiment's seed). */
  seed?: number;
  /** Share of the training split held out for model selection and the TET quiz. */
  validation?: number;
  /** Optional augmentation applied to the network being trained. */
  augment?: { flip?: boolean; crop?: number };
  /** Resize images (format `folder` only) to this size: [height, width]. */
  size?: [number, number];
}

export interface ModelSpec {
  /** Model family: a built-in (src/trainer/models/index.ts) or a plugin's. */
  model: string;
  depth?: number;
  width?: number;
  epochs: number;
}

export interface TeacherRunSpec {
  /** An earlier run directory whose teacher and trajectory are reused. */
  run: string;
}

export type TeacherSpec = ModelSpec | TeacherRunSpec;

/**
 * A distillation method's name: a built-in or a plugin's. The trainer's method registry
 * (src/trainer/methods/index.ts) holds the names and checks them where an experiment comes in
 * (validation, `skd run`, the language server); the trainer's `BuiltinMethodName` lists the
 * built-ins as a type.
 */
export type MethodName = string;

export interface MethodSpec {
  name: MethodName;
  /** Number of learning stages K. */
  stages: number;
  /** How the teacher's schedule is cut into stages: equal shares of the learning rate (default) or of the epochs. */
  boundaries?: 'lr' | 'epochs';
  /** Epochs over which the distillation terms ramp up from 0 (default 1/12 of the student's, at least 1; 0: off). */
  warmup?: number;
  /** During the warm-up, start the labels at full weight and hand them over to the method's mix (KD's 1 - alpha). */
  warmupLabels?: boolean;
  /** Which teacher stage a student stage learns from (SKD: the next one by default). */
  curriculum?: 'lookahead' | 'aligned';
  /** Distillation temperature T of the KD-style terms (KD, RCO, SKD); DKD has its own (dkd.temperature). */
  temperature: number;
  /** Weight of the output-knowledge term (KD, DKD, SKD's experience term). */
  alpha?: number;
  /** Weight of the feature / behaviour term (FitNet, AT, SKD's behaviour term). */
  beta?: number;
  /** DKD's target / non-target weights. */
  dkd?: { alpha?: number; beta?: number; warmup?: number; temperature?: number };
  /** SKD meta-network settings. */
  tbt?: { hidden?: number; epochs?: number; lr?: number; cell?: 'gru' | 'lstm'; match?: 'similarity' | 'regression' | 'action'; final?: boolean };
  tet?: { epochs?: number; lr?: number; mix?: boolean; correct?: boolean; weight?: number; final?: boolean; correctFinal?: boolean; check?: StageCheckName; late?: boolean };
  /** Path of a user's method module (when `name` is not a builtin). */
  module?: string;
}

export interface TrainingSpec {
  batchSize: number;
  optimizer: 'sgd';
  lr: number;
  momentum: number;
  weightDecay: number;
  schedule?: 'step' | 'cosine' | 'constant';
  /** Epoch fractions (0..1) at which a step schedule multiplies the LR by `gamma`. */
  milestones?: number[];
  gamma?: number;
  /**
   * Precise batch norm for the student and the student alone: before each epoch's validation,
   * recompute every batch-norm layer's moving statistics over this many fit images (all when
   * fewer) with the epoch's final weights (default 1024); 0 keeps the moving averages of training
   * (src/trainer/engine/preciseBn.ts). The teacher keeps them unless `preciseBnTeacher`.
   */
  preciseBn?: number;
  /**
   * `true`: the teacher's statistics recomputed the same way (`preciseBn` images) before each of
   * its epochs' validation, and so in its recorded trajectory: every epoch's logits, the stages'
   * best checkpoints and behaviour, and the final teacher. `"trajectory"`: recomputed for the
   * trajectory's record alone (every epoch's logits, validation accuracy and so the stages' best
   * checkpoints, and behaviour); the final teacher (its selection, logits and saved model) keeps
   * the moving averages, as with `false`. Its weights are the same either way.
   */
  preciseBnTeacher?: boolean | 'trajectory';
}

export type BackendName = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface Experiment {
  name: string;
  seed: number;
  data: DataSpec;
  teacher: TeacherSpec;
  student: ModelSpec;
  method: MethodSpec;
  training: TrainingSpec;
  backend: BackendName;
  /**
   * Also train (or reuse) the student alone: the same student, seed, data and training with
   * cross-entropy only, so the run reports the method's gain over it. Default true; no effect
   * for method `none`, whose student is the student alone.
   */
  studentAlone?: boolean;
}

export function isTeacherRun(t: TeacherSpec): t is TeacherRunSpec {
  return typeof (t as TeacherRunSpec).run === 'string';
}

/** Whether the experiment asks for the student alone beside its method (its report: "student alone X%, with M Y%"). */
export function wantsStudentAlone(exp: Pick<Experiment, 'method' | 'studentAlone'>): boolean {
  return exp.method.name !== 'none' && exp.studentAlone !== false;
}

/** SKD's stage check when `method.tet.check` does not say (docs/method.md). */
export const DEFAULT_STAGE_CHECK = 'ahead' as const;

/**
 * `method.tet.check`: whether a stage's experience is taught next to the final teacher's
 * (docs/method.md; decided by `StageJudge` in src/trainer/skd/tet.ts):
 * - `likelihood`: their average has a lower negative log-likelihood on the held-out quiz images
 *   than the final teacher alone (`addsToFinal`);
 * - `confidence`: on the training images, where the student learns, their average's confidence
 *   is nearer the final teacher's held-out accuracy than the final teacher's own confidence is
 *   (`StageJudge.verdict`): the stage is taught where the final teacher claims more on the
 *   images it trained on than it knows;
 * - `ahead` (the default): `confidence`, or the stage is ahead of the student: right on more of
 *   the held-out quiz images than the student alone is at its best validation epoch (the same
 *   images). Such a stage is an assistant teacher nearer the student than the final one (Mirzadeh
 *   et al., AAAI 2020), worth learning from whether or not the final teacher is over-sure; a stage
 *   behind the student, of a teacher that is barely ahead of it, would only hold it back;
 * - `ahead-only`: the second part of `ahead` alone (tried, not adopted: docs/method.md, "The stage
 *   check without its confidence reason");
 * - `none`: every stage before the last is taught.
 */
export type StageCheckName = 'likelihood' | 'confidence' | 'ahead' | 'ahead-only' | 'none';

/** The checks that measure the teacher's stages against the student alone's validation accuracy (absent: the default). */
export function measuresAgainstAlone(check: StageCheckName = DEFAULT_STAGE_CHECK): boolean {
  return check === 'ahead' || check === 'ahead-only';
}

/** Whether the distillation warm-up hands the labels over to a method's mix (`method.warmupLabels`). */
export const DEFAULT_WARMUP_LABELS = false;

/**
 * The built-in methods whose student does not follow the teacher's stages: for them
 * `method.stages` cuts only the teacher's recorded trajectory, so the student may have fewer
 * epochs than stages. Every other method, a plugin too, splits the student's epochs into stages.
 */
const UNSTAGED_STUDENT_METHODS: readonly string[] = ['none', 'kd', 'fitnet', 'at', 'dkd', 'skd-no-stages'];

/** Whether a method's student learns stage by stage (`method.stages` shares of its epochs). */
export function stagesTheStudent(method: string): boolean {
  return !UNSTAGED_STUDENT_METHODS.includes(method);
}

/** SKD's methods that teach the teacher's stages after a stage check (`skd-no-stages` teaches none). */
const STAGE_CHECKED_METHODS: readonly string[] = ['skd', 'skd-no-tbt', 'skd-no-tet'];

/**
 * Whether a run trains (or reuses) the student alone: when the experiment asks for it, and for
 * SKD's `ahead` and `ahead-only` stage checks, which measure the teacher's stages against the student alone's
 * validation accuracy whether or not the run reports it (`studentAlone: false` does not change
 * the method).
 */
export function trainsStudentAlone(exp: Pick<Experiment, 'method' | 'studentAlone'>): boolean {
  return wantsStudentAlone(exp) || (STAGE_CHECKED_METHODS.includes(exp.method.name) && measuresAgainstAlone(exp.method.tet?.check));
}

// Method and model names are not listed here: the trainer's registries own them
// (src/trainer/methods/index.ts, src/trainer/models/index.ts), since plugins extend them.
export const DATA_FORMATS: readonly string[] = ['builtin', 'idx', 'cifar10', 'cifar100', 'folder'];
export const BUILTIN_DATASETS: readonly string[] = ['fashion-mnist-mini'];
export const BACKENDS: readonly BackendName[] = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
