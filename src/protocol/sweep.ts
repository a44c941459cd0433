/**
 * Sweep files (`*.sweep.skd.json`) and sweep folders: the contract shared by the command line
 * (`skd sweep`), the trainer and the extension. A sweep is a base experiment, groups of
 * overrides (a grid and/or a list), seeds, and which runs share a teacher.
 */

/** Overrides by dotted key: `{ "method.temperature": 2 }`. */
export type OverrideMap = Record<string, unknown>;

/**
 * Which runs share a teacher. `shared`: runs whose teacher settings (data, teacher network,
 * training, stages) are the same share one teacher, trained once at the base seed, and all seeds
 * see the same images and splits (`data.seed` fixed), so seeds are paired; `per-seed`: one
 * teacher for each seed (and teacher setting); `own`: every run trains its own teacher.
 */
export type TeacherSharing = 'shared' | 'per-seed' | 'own';
export const TEACHER_SHARING: readonly TeacherSharing[] = ['shared', 'per-seed', 'own'];

export interface SlurmSettings {
  partition?: string;
  account?: string;
  qos?: string;
  /** `--time`, e.g. `01:00:00`. */
  time?: string;
  /** `--mem`, e.g. `4G`. */
  mem?: string;
  /** `--cpus-per-task` (default 1). */
  cpusPerTask?: number;
  /** `--gpus-per-task`. */
  gpus?: number;
  /** At most this many array tasks run at once (`--array=0-N%maxRunning`). */
  maxRunning?: number;
  /** More sbatch arguments, as given (`--constraint=avx2`). */
  extraArgs?: string[];
  /** Shell lines run before the trainer in every job (`module load nodejs`). */
  setup?: string[];
}

export interface SweepFile {
  $schema?: string;
  /** Sweep name; its folder is `<out>/<name>`. */
  name: string;
  description?: string;
  /** The base experiment: a `*.skd.json` path relative to the sweep file, or the experiment itself. */
  experiment: string | Record<string, unknown>;
  /** Overrides applied to every run. */
  set?: OverrideMap;
  /** Every combination of these values is a group. */
  grid?: Record<string, unknown[]>;
  /** More groups, each its own overrides. */
  runs?: { name?: string; set: OverrideMap }[];
  /** Seeds (a list), or how many (1..n). Default: the base experiment's seed. */
  seeds?: number | number[];
  teacher?: TeacherSharing;
  /** Train each student alone too (its gain in every run); default false (add a `method.name: none` group instead). */
  studentAlone?: boolean;
  /** The group the report's paired differences are taken against. */
  baseline?: string;
  /** Local executor: runs at once (default: the machine's cores). */
  concurrency?: number;
  slurm?: SlurmSettings;
}

export type SweepRunKind = 'teacher' | 'student';

export interface PlannedRun {
  /** Run name, also its folder in the sweep folder: `<group>-s<seed>`, `teacher`, `teacher-2`, ... */
  name: string;
  kind: SweepRunKind;
  /** Students: their group. */
  group?: string;
  seed: number;
  /** Students: the teacher run of this sweep they reuse (absent when they train their own or reuse one from outside). */
  teacher?: string;
  /** The run's experiment, relative to the sweep folder (`experiments/<name>.json`). */
  experiment: string;
}

export interface SweepGroup {
  name: string;
  /** The group's own overrides (from the grid or the list). */
  set: OverrideMap;
}

/** `sweep.json` in a sweep folder: the expanded plan. */
export interface SweepPlan {
  version: 1;
  name: string;
  created: string;
  /** The sweep file it was expanded from (as given). */
  sweepFile: string;
  groups: SweepGroup[];
  seeds: number[];
  teacherSharing: TeacherSharing;
  baseline?: string;
  concurrency?: number;
  slurm?: SlurmSettings;
  /** Teachers first, then students seed by seed. */
  runs: PlannedRun[];
}

export const SWEEP_FILES = {
  plan: 'sweep.json',
  experiments: 'experiments',
  logs: 'logs',
  slurm: 'slurm',
  jobs: 'slurm/jobs.json',
  reportText: 'report.txt',
  reportCsv: 'report.csv',
  reportJson: 'report.json',
} as const;

/** A run's state as the sweep sees it. */
export type SweepRunState = 'done' | 'running' | 'queued' | 'pending' | 'failed' | 'stopped' | 'blocked' | 'not started';

export interface SweepRunStatus {
  name: string;
  kind: SweepRunKind;
  group?: string;
  seed: number;
  state: SweepRunState;
  /** 0..1 from the run's status.json. */
  progress?: number;
  testAcc?: number;
  /** Slurm: job id (`123` or `123_4`) and its state/reason while queued. */
  job?: string;
  scheduler?: string;
  /** Failed or stopped: the reason (the run's error, or its log's last line). */
  detail?: string;
  log?: string;
}
