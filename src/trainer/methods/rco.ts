import { logitDistillation } from './kd';
import type { MethodFactory } from './types';

/**
 * RCO: Jin et al., "Knowledge Distillation via Route Constrained Optimization", ICCV 2019.
 * The teacher's route is its sequence of checkpoints: in each learning stage the student is
 * distilled (KD's terms and weights) from the best teacher checkpoint of that same stage,
 * an easy-to-hard curriculum of anchor points instead of the final teacher alone.
 */
export const rco: MethodFactory = logitDistillation(
  'rco',
  { stageLogits: true },
  (b) => b.teacher.stageLogits,
  'best-of-stage logits',
);
