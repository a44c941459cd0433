import type { TrainingSpec } from '../../protocol/experiment';

/** Learning rate of an epoch (0-based) out of `epochs`, per the experiment's schedule. */
export function learningRate(t: TrainingSpec, epoch: number, epochs: number): number {
  switch (t.schedule ?? 'cosine') {
    case 'constant':
      return t.lr;
    case 'step': {
      const passed = (t.milestones ?? [0.5, 0.75]).filter((m) => epoch >= Math.round(m * epochs)).length;
      return t.lr * Math.pow(t.gamma ?? 0.1, passed);
    }
    case 'cosine':
    default:
      return epochs <= 1 ? t.lr : 0.5 * t.lr * (1 + Math.cos((Math.PI * epoch) / epochs));
  }
}

/**
 * Learning stages: `epochs` cut into `stages` near-equal consecutive segments. Teacher and
 * student use the same cut, each over its own epoch count. Returns the stage of an epoch.
 */
export function stageOf(epoch: number, epochs: number, stages: number): number {
  const k = Math.min(stages, epochs);
  return Math.min(k - 1, Math.floor((epoch * k) / epochs));
}

/** How a training schedule is cut into learning stages (`method.boundaries`). */
export type StageBoundaries = 'lr' | 'epochs';

/** `method.boundaries` when the experiment does not say. */
export const DEFAULT_BOUNDARIES: StageBoundaries = 'lr';

/**
 * The stage of every epoch (0-based), in `min(stages, epochs)` consecutive non-empty stages.
 * - `epochs`: near-equal numbers of epochs (`stageOf`).
 * - `lr`: near-equal shares of the summed learning rate, so each stage holds the same amount
 *   of learning. Under cosine decay equal-epoch stages give the first half of training ~80% of
 *   the learning rate (SKD.md, step 1); by learning rate the early stages are short and the
 *   last one, in which the network settles, is long. A constant schedule gives equal epochs.
 */
export function stagePlan(epochs: number, stages: number, training?: TrainingSpec, boundaries: StageBoundaries = 'epochs'): number[] {
  const k = Math.max(1, Math.min(stages, epochs));
  if (boundaries === 'epochs' || !training || k === 1) return Array.from({ length: epochs }, (_, e) => stageOf(e, epochs, stages));
  const lrs = Array.from({ length: epochs }, (_, e) => learningRate(training, e, epochs));
  const total = lrs.reduce((a, b) => a + b, 0);
  const plan: number[] = [];
  let cumulative = 0;
  let stage = 0;
  for (let e = 0; e < epochs; e++) {
    // Leave at least one epoch for each stage still to come.
    const mustMove = epochs - e <= k - 1 - stage;
    if (stage < k - 1 && e > 0 && plan[e - 1] === stage && (mustMove || cumulative >= (total * (stage + 1)) / k - 1e-9)) stage++;
    plan.push(stage);
    cumulative += lrs[e];
  }
  return plan;
}

/** The [first, last] epochs of each stage. */
export function stageBounds(epochs: number, stages: number, plan: number[] = Array.from({ length: epochs }, (_, e) => stageOf(e, epochs, stages))): [number, number][] {
  const out: [number, number][] = [];
  for (let e = 0; e < epochs; e++) {
    const s = plan[e];
    if (!out[s]) out[s] = [e, e];
    else out[s][1] = e;
  }
  return out;
}

/**
 * The teacher stage that student stage `k` (of `studentStages`) learns from, over
 * `teacherStages` recorded ones: the same (`aligned`), the next (`lookahead`, the last student
 * stage learns from the final teacher), or the last (`none`).
 */
export function targetStage(k: number, studentStages: number, teacherStages: number, curriculum: 'aligned' | 'lookahead' | 'none'): number {
  const last = teacherStages - 1;
  if (curriculum === 'none') return last;
  const shift = curriculum === 'lookahead' ? 1 : 0;
  return Math.min(last, Math.floor(((k + shift) * teacherStages) / studentStages));
}

/**
 * `targetStage` after SKD's stage check: a teacher stage whose check failed (`taught[t]` false)
 * is not looked ahead to, and the student learns from the final teacher instead.
 */
export function checkedTargetStage(k: number, studentStages: number, teacherStages: number, curriculum: 'aligned' | 'lookahead' | 'none', taught: readonly boolean[] | undefined): number {
  const t = targetStage(k, studentStages, teacherStages, curriculum);
  return taught?.[t] === false ? teacherStages - 1 : t;
}

/**
 * Whether any student stage learns from an intermediate teacher stage or is taught one's
 * experience next to the final teacher; when none is, SKD's student learns as with KD.
 */
export function teachesAStage(taught: readonly boolean[] | undefined, studentStages: number, teacherStages: number, curriculum: 'aligned' | 'lookahead' | 'none', late: boolean): boolean {
  const experienceOf = experienceStage(taught, teacherStages, late);
  for (let k = 0; k < studentStages; k++) {
    const t = checkedTargetStage(k, studentStages, teacherStages, curriculum, taught);
    if (t < teacherStages - 1 || experienceOf(t) !== undefined) return true;
  }
  return false;
}

/**
 * The teacher stage whose experience SKD teaches while the student learns from teacher stage t:
 * t itself before the last stage; at the last (the final teacher, taught by KD's term), with
 * `late` the latest earlier stage that the stage check passed (`taught[t]`), else none.
 */
export function experienceStage(taught: readonly boolean[] | undefined, stages: number, late: boolean): (t: number) => number | undefined {
  const last = stages - 1;
  let latest: number | undefined;
  if (late) for (let t = 0; t < last; t++) if (taught?.[t] === true) latest = t;
  return (t) => (t < last ? t : latest);
}
