import type * as tf from '@tensorflow/tfjs-core';
import type { MethodSpec } from '../../protocol/experiment';

/**
 * A distillation method: one module, one class, one interface (after mdistiller's Distiller).
 * The engine calls `losses` inside the gradient tape for every student batch and sums the
 * returned named terms, so a method adds a term without touching the engine, and every term is
 * streamed to the charts under its name.
 */

/** Which teacher signals a method reads; the engine prepares only those. */
export interface MethodNeeds {
  /** The final (best overall) teacher's logits for the batch. */
  finalLogits?: boolean;
  /** With `finalLogits`: corrected from the trajectory where they get a training image wrong (SKD's TET). */
  correctedFinal?: boolean;
  /** The best-of-stage teacher logits of the student's current stage (RCO, SKD-no-TET). */
  stageLogits?: boolean;
  /** With `stageLogits`: SKD's stage check (`method.tet.check`) on them decides which stages are taught (SKD-no-TET). */
  stageCheck?: boolean;
  /** The final teacher's feature maps at its taps, computed on the fly (FitNet, AT). */
  teacherFeatures?: boolean;
  /** TET's experience logits of the target stage (SKD). */
  experience?: boolean;
  /** TET's experience logits of the last stage (SKD with `tet.final`). */
  finalExperience?: boolean;
  /** The target stage's behaviour descriptors per tap, as TBT predicts them (SKD). */
  behaviour?: boolean;
  /**
   * With `behaviour`: the recorded behaviour of the teacher stage before the target stage, and
   * the student's own behaviour at the start of its stage (SKD's action form, `tbt.match: "action"`).
   */
  actions?: boolean;
}

/**
 * Which teacher stage a student stage learns from (schedule.ts `targetStage`): the same stage
 * (`aligned`, RCO's route), the next one (`lookahead`, SKD: the teacher's next step), or always
 * the last (`none`).
 */
export type Curriculum = 'aligned' | 'lookahead' | 'none';

/** What the method sees of the teacher for one batch. Absent fields were not asked for. */
export interface TeacherSignals {
  finalLogits?: tf.Tensor2D;
  stageLogits?: tf.Tensor2D;
  /** NHWC maps, one per teacher tap, same spatial sizes as the student's taps. */
  features?: tf.Tensor4D[];
  experience?: tf.Tensor2D;
  finalExperience?: tf.Tensor2D;
  /** [batch, descriptor size of tap l], one per teacher tap. */
  behaviour?: tf.Tensor2D[];
  /** The recorded behaviour of the teacher stage before `behaviour`'s, same shapes (with `actions`). */
  previousBehaviour?: tf.Tensor2D[];
}

export interface BatchContext {
  /** Integer labels [batch]. */
  labels: tf.Tensor1D;
  /** One-hot labels [batch, classes]. */
  oneHot: tf.Tensor2D;
  studentLogits: tf.Tensor2D;
  /** NHWC maps, one per student tap. */
  studentFeatures: tf.Tensor4D[];
  /** The student's own pooled descriptors of the batch at the start of its stage, one per tap (with `actions`). */
  studentStart?: tf.Tensor2D[];
  teacher: TeacherSignals;
  /** 0-based epoch of the student and the total, for warm-ups. */
  epoch: number;
  epochs: number;
  /** 0-based learning stage of the student. */
  stage: number;
  stages: number;
  /** The teacher stage whose signals this batch carries (per the method's curriculum), of `teacherStages`. */
  teacherStage: number;
  teacherStages: number;
}

/** Shapes a method needs to create its own trainable parts (adapters, regressors). */
export interface MethodSetup {
  spec: MethodSpec;
  numClasses: number;
  studentTapChannels: number[];
  teacherTapChannels: number[];
  /** Length of the behaviour descriptor of each teacher tap (SKD). */
  behaviourSizes: number[];
  seed: number;
  /**
   * SKD Lab's tf.js (tfjs-core): a plugin method computes its terms with it, on the trainer's
   * engine and gradient tape, and needs no tf.js install of its own beside its file.
   */
  tf: typeof tf;
}

export type LossTerms = Record<string, tf.Scalar>;

export interface DistillMethod {
  readonly name: string;
  readonly needs: MethodNeeds;
  /** True when the method ramps its own terms up (DKD); otherwise the engine's warm-up applies (warmup.ts). */
  readonly selfWarmup?: boolean;
  /**
   * The weight its `ce` term carries in the method's own mix (KD's 1 - alpha; absent: 1). With
   * `method.warmupLabels` the engine's warm-up starts the labels at full weight and hands them
   * over to this one (warmup.ts `labelFactor`).
   */
  readonly labelWeight?: number;
  /** How stage-wise signals (stage logits, experience, behaviour) follow the stages; default aligned. */
  readonly curriculum?: Curriculum;
  /** Variables the method trains beside the student (adapters); not exported with it. */
  extraVariables(): tf.Variable[];
  /** Named loss terms for one batch, each a scalar; the engine sums them. */
  losses(batch: BatchContext): LossTerms;
  dispose(): void;
}

export type MethodFactory = (setup: MethodSetup) => DistillMethod;
