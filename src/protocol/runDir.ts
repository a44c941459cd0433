/**
 * What a run directory holds: the event lines of `metrics.jsonl`, `status.json` and
 * `summary.json`. The trainer writes them; the command line, the language server, the tree
 * view and the dashboards read them. A run directory is the unit of truth.
 */
import type { StageCheckName } from './experiment';

export const RUN_FILES = {
  experiment: 'experiment.json',
  metrics: 'metrics.jsonl',
  status: 'status.json',
  summary: 'summary.json',
  student: 'student',
  /** The student alone's result (and where it came from when reused). */
  alone: 'alone.json',
  teacher: 'teacher',
  trajectory: 'teacher/trajectory',
  meta: 'meta',
  exports: 'exports',
  log: 'trainer.log',
} as const;

/** The files of one export folder (`exports/<format>-<quantize>/`) that say what it holds. */
export const EXPORT_FILES = {
  /** The model card for programs (the server reads an export's result back from it). */
  cardJson: 'model-card.json',
  /** The same card for people. */
  cardMd: 'MODEL_CARD.md',
} as const;

export type RunState = 'queued' | 'running' | 'done' | 'failed' | 'stopped';

export interface RunStatus {
  state: RunState;
  /** Phase being worked on: teacher, trajectory, alone, tbt, tet, student, final. */
  phase?: Phase;
  /** 0..1 over the whole run. */
  progress?: number;
  error?: string;
  /** The trainer process: pid, its start time (clock ticks since boot, /proc/<pid>/stat field 22), host and boot id, so a reused pid is never taken for it. */
  pid?: number;
  pidStart?: number;
  host?: string;
  bootId?: string;
  updated: string;
  started?: string;
  backend?: string;
}

/** In every event, `epoch` and `stage` count from 0 (views show them from 1). */
export type Phase = 'setup' | 'teacher' | 'trajectory' | 'alone' | 'tbt' | 'tet' | 'student' | 'final';

/** `alone`: the student trained alone (cross-entropy only), the baseline the method's gain is measured against. */
export type Network = 'teacher' | 'alone' | 'student';

interface EventBase {
  /** ISO time the event was written. */
  time: string;
}

/** Start of the run (or of a resume): what runs where. */
export interface RunEvent extends EventBase {
  type: 'run';
  name: string;
  method: string;
  backend: string;
  resumed: boolean;
  /** `train`: the teacher's fit images; `student`: how many of them train the student, when fewer (`data.limit.student`). */
  data: { name: string; train: number; student?: number; validation: number; test: number; shape: number[]; classes: number };
}

/** A few times an epoch: live loss for the charts. */
export interface BatchEvent extends EventBase {
  type: 'batch';
  network: Network;
  epoch: number;
  /** Fractional epoch, for the x axis. */
  step: number;
  loss: number;
  terms: Record<string, number>;
}

export interface EpochEvent extends EventBase {
  type: 'epoch';
  network: Network;
  epoch: number;
  stage: number;
  lr: number;
  loss: number;
  /** Mean of each named loss term over the epoch (ce, kd, behaviour, ...). */
  terms: Record<string, number>;
  trainAcc: number;
  valAcc: number;
  /** Which validation images it gets right, for the held-out validation figure of `skd bench methods` (absent in runs recorded before it). */
  valCorrect?: CorrectImages;
  seconds: number;
  imagesPerSec: number;
}

/** Which images of a split (validation or test) a network gets right. */
export interface CorrectImages {
  /** How many images (bits). */
  n: number;
  /** Bit i (byte i >> 3, least significant bit first) set when image i of the split is right; base64. */
  bits: string;
}

export interface StageEvent extends EventBase {
  type: 'stage';
  network: Network;
  stage: number;
  firstEpoch: number;
  lastEpoch: number;
  bestEpoch: number;
  bestValAcc: number;
}

/** TBT behaviour prediction of teacher stage `target` from stages 0..`stage` (0-based), on held-out probes. */
export interface TbtEvent extends EventBase {
  type: 'tbt';
  /** The last stage the prediction starts from. */
  stage: number;
  /** The stage whose behaviour is predicted (`stage + 1`): views plot the point there. */
  target: number;
  /** Per tapped layer: normalised MSE and cosine in standardised units; `baselineNmse` is the NMSE of predicting "no change" (B_{k+1} = B_k). */
  layers: { layer: string; nmse: number; cosine: number; baselineNmse: number }[];
}

/** TET experience metrics of a stage, on held-out samples. */
export interface TetEvent extends EventBase {
  type: 'tet';
  stage: number;
  accuracy: number;
  ece: number;
  entropy: number;
  klToTeacher: number;
  teacherAccuracy: number;
  teacherEce: number;
  /** Held-out negative log-likelihood of the experience and of the raw best checkpoint. */
  nll?: number;
  teacherNll?: number;
  /** TET's temperature and its mixture of teacher checkpoints (epochs 0-based, weights >= 0.01). */
  temperature?: number;
  mixture?: { epoch: number; weight: number }[];
  /** True when the mixture was not better on held-out images and the raw checkpoint is used. */
  identity?: boolean;
  /** Share of the training images whose experience was corrected from the trajectory (it was wrong). */
  corrected?: number;
  /** Whether this stage's experience is taught next to the final teacher's (its stage check, `check`, passed). */
  addsToFinal?: boolean;
  /** The check that decided `addsToFinal` (`method.tet.check`). */
  check?: StageCheckName;
  /** The held-out likelihood check's answer, whichever check decided. */
  heldOutNllGain?: boolean;
  /** On the fit images: mean top-class probability of the stage's and the final teacher's average, and of the final teacher alone. */
  trainConfidence?: number;
  finalTrainConfidence?: number;
  /** The final teacher's accuracy on the quiz (validation) images. */
  finalHeldOutAccuracy?: number;
  /** The stage's accuracy on the quiz images (before any correction), and the student alone's best validation accuracy on them (check `ahead`). */
  heldOutAccuracy?: number;
  aloneAccuracy?: number;
}

export interface PhaseEvent extends EventBase {
  type: 'phase';
  phase: Phase;
  detail?: string;
}

export interface LogEvent extends EventBase {
  type: 'log';
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface FinalEvent extends EventBase {
  type: 'final';
  teacherTestAcc: number;
  studentTestAcc: number;
  teacherParams: number;
  studentParams: number;
  seconds: number;
  /** Test accuracy of the student alone (absent when the run has none, e.g. `"studentAlone": false`). */
  studentAloneTestAcc?: number;
  /** studentTestAcc - studentAloneTestAcc. */
  gain?: number;
}

export type MetricEvent =
  | RunEvent
  | BatchEvent
  | EpochEvent
  | StageEvent
  | TbtEvent
  | TetEvent
  | PhaseEvent
  | LogEvent
  | FinalEvent;

export interface Summary {
  name: string;
  method: string;
  seed: number;
  backend: string;
  data: string;
  /** Paths here are relative to the run directory (`../teacher`), so a moved folder stays true. */
  teacher: { model: string; testAcc: number; params: number; fromRun?: string };
  /** `testCorrect`: which test images it gets right (absent in runs recorded before it). */
  student: { model: string; testAcc: number; params: number; testCorrect?: CorrectImages };
  /** The same student trained alone (cross-entropy only); `fromRun` when reused from another run directory. */
  studentAlone?: { testAcc: number; fromRun?: string };
  /** student.testAcc - studentAlone.testAcc (fractions; * 100 for points). */
  gain?: number;
  seconds: number;
  /** The run directory's name (its folder's basename: the summary never holds an absolute path). */
  runDir: string;
  finished: string;
}
