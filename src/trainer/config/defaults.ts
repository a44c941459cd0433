import type { Experiment, MethodSpec, TrainingSpec } from '../../protocol/experiment';

/** Defaults for what an experiment file may leave out (the schema documents the same values). */
export const TRAINING_DEFAULTS: TrainingSpec = {
  batchSize: 64,
  optimizer: 'sgd',
  lr: 0.05,
  momentum: 0.9,
  weightDecay: 5e-4,
  schedule: 'cosine',
  milestones: [0.5, 0.75],
  gamma: 0.1,
  // Precise batch norm for the students over 1024 fit images, adopted by the rule in
  // examples/study/precise-bn.sweep.skd.json (docs/method.md, "Precise batch norm").
  preciseBn: 1024,
};

/**
 * The temperature of the KD-style terms (KD, RCO, SKD's terms on teacher logits): 2, chosen on the
 * validation columns of four settings against 4 (mdistiller's) and 1 (docs/method.md, "The
 * distillation temperature"); Hinton et al. (2015) found intermediate temperatures best when the
 * student is much smaller than its teacher, as the students here are. DKD keeps its paper's 4
 * (`method.dkd.temperature`).
 */
export const DEFAULT_TEMPERATURE = 2;

export const METHOD_DEFAULTS: Omit<MethodSpec, 'name'> = { stages: 4, temperature: DEFAULT_TEMPERATURE };

/** The resolved config: every default filled in, as written to the run's experiment.json. */
export function withDefaults(raw: Partial<Experiment> & Pick<Experiment, 'name' | 'data' | 'teacher' | 'student' | 'method'>): Experiment {
  return {
    ...raw,
    name: raw.name,
    seed: raw.seed ?? 1,
    data: { validation: 0.1, ...raw.data },
    teacher: raw.teacher,
    student: raw.student,
    method: { ...METHOD_DEFAULTS, ...raw.method },
    training: { ...TRAINING_DEFAULTS, ...(raw.training ?? {}) },
    backend: raw.backend ?? 'auto',
    // Method `none` is the student alone already.
    studentAlone: raw.method.name === 'none' ? false : (raw.studentAlone ?? true),
  };
}
