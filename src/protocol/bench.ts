/**
 * Methods bench folders (`skd bench methods`): the files the command line writes there and the
 * extension reads, so the two name them once. A bench folder holds its plan, its teacher (when
 * trained there) and one run per method and seed; a draws folder (`--data-seeds`) holds one
 * bench folder per draw of the data.
 */

export const BENCH_FILES = {
  /** The plan: methods, seeds, the teacher, the students' experiment. */
  plan: 'bench.json',
  /** A draws folder's plan: its data seeds and their bench folders. */
  draws: 'draws.json',
  report: 'report.json',
  reportMd: 'report.md',
  /** The shared teacher's run folder, when the bench trains it. */
  teacher: 'teacher',
} as const;

/** Seeds 1..n of every method when none are asked for. */
export const DEFAULT_BENCH_SEEDS = 5;

/** A student's run folder in a bench: `<method>-s<seed>`. */
export function benchRunName(method: string, seed: number): string {
  return `${method}-s${seed}`;
}

/** The part of a bench's plan (`bench.json`) that the extension reads. */
export interface BenchPlanView {
  methods: string[];
  seeds: number[];
  /** The shared teacher: trained in the bench folder (`teacher/`, at `seed`) or reused from elsewhere. */
  teacher: { dir: string; trainedHere: boolean; seed: number };
}

/**
 * The planned student runs, seed by seed. A teacher trained in the bench stands for `none` at its
 * seed: its run trains the student alone too (the gain every run reports), with the same data,
 * order and initial weights as a `none` run of that seed would.
 */
export function plannedRuns(plan: Pick<BenchPlanView, 'methods' | 'seeds' | 'teacher'>): { method: string; seed: number; name: string }[] {
  const out: { method: string; seed: number; name: string }[] = [];
  for (const seed of plan.seeds) {
    for (const method of plan.methods) {
      if (method === 'none' && plan.teacher.trainedHere && seed === plan.teacher.seed) continue;
      out.push({ method, seed, name: benchRunName(method, seed) });
    }
  }
  return out;
}

/** The part of a draws folder's plan (`draws.json`) that the extension reads. */
export interface DrawsPlanView {
  dataSeeds: number[];
  /** Each draw's bench folder, relative to the draws folder. */
  benches: { dataSeed: number; dir: string }[];
}
