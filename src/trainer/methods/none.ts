import { crossEntropy } from './losses';
import type { DistillMethod, MethodFactory } from './types';

/** The student alone: cross-entropy with the labels, no teacher (the baseline of every table). */
export const none: MethodFactory = (): DistillMethod => ({
  name: 'none',
  needs: {},
  extraVariables: () => [],
  losses: (batch) => ({ ce: crossEntropy(batch.studentLogits, batch.oneHot) }),
  dispose: () => undefined,
});
