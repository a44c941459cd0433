/** The experiment templates shipped in `examples/templates/` and what the quick pick says of them. */
export interface TemplateInfo {
  file: string;
  label: string;
  detail: string;
}

export const TEMPLATES: readonly TemplateInfo[] = [
  {
    file: 'skd-default.skd.json',
    label: 'SKD on built-in data',
    detail: 'Skill-transferring distillation (TBT + TET), ResNet teacher -> small CNN, Fashion-MNIST mini. A few minutes on a laptop.',
  },
  {
    file: 'kd-baseline.skd.json',
    label: 'KD baseline',
    detail: 'Classic knowledge distillation (Hinton et al.) with the same teacher, student and data, to compare against SKD.',
  },
  {
    file: 'fashion-mnist-full.skd.json',
    label: 'Full Fashion-MNIST (IDX files)',
    detail: 'SKD on all 60k/10k images from /usr/share/datasets/fashion-mnist (Debian dataset-fashion-mnist), MobileNet-style student.',
  },
  {
    file: 'fashion-mnist-student-subset.skd.json',
    label: 'Student with a tenth of the labels',
    detail: 'The teacher on all 54k Fashion-MNIST fit images, the student (and the student alone) on 5400 of them (data.limit.student): the setting of the README table in which SKD is 1.1 points above KD.',
  },
];

/** A file name in `folder` that does not exist yet: `base.skd.json`, `base-2.skd.json`, ... */
export function freeFileName(base: string, exists: (name: string) => boolean): string {
  for (let i = 1; ; i++) {
    const name = i === 1 ? `${base}.skd.json` : `${base}-${i}.skd.json`;
    if (!exists(name)) return name;
  }
}

/** The template's text with `name` set to the new file's base name (a valid run name). */
export function instantiateTemplate(text: string, runName: string): string {
  const value = JSON.parse(text) as Record<string, unknown>;
  delete value.$schema;
  const safe = runName.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'experiment';
  return `${JSON.stringify({ ...value, name: safe }, null, 2)}\n`;
}
