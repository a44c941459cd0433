/**
 * The built-in distillation methods, by name, in table order, with their one-line summaries: the
 * one list that the trainer's method registry (src/trainer/methods/index.ts, which pairs each
 * name with its implementation) and the extension (Run Method Bench's method list) read.
 */
export const BUILTIN_METHOD_SUMMARIES = [
  ['none', 'the student alone (cross-entropy only)'],
  ['kd', "Hinton's knowledge distillation"],
  ['fitnet', 'hint layers (FitNets)'],
  ['at', 'attention transfer'],
  ['rco', 'route-constrained optimization (teacher checkpoints as a curriculum)'],
  ['dkd', 'decoupled KD'],
  ['skd', 'skill-transferring KD (TBT + TET + stages)'],
  ['skd-no-tbt', 'SKD without teacher behaviour teaching'],
  ['skd-no-tet', 'SKD without teacher experience teaching'],
  ['skd-no-stages', 'SKD without learning stages'],
] as const;

/** The name of a built-in method; a method's name in general is a string (plugins add theirs). */
export type BuiltinMethodName = (typeof BUILTIN_METHOD_SUMMARIES)[number][0];
