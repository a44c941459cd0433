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

/** The [first, last] epochs of each stage. */
export function stageBounds(epochs: number, stages: number): [number, number][] {
  const out: [number, number][] = [];
  for (let e = 0; e < epochs; e++) {
    const s = stageOf(e, epochs, stages);
    if (!out[s]) out[s] = [e, e];
    else out[s][1] = e;
  }
  return out;
}
