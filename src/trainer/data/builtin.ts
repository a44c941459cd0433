import * as path from 'node:path';
import { InputError } from '../errors';
import { loadIdxDir } from './idx';
import { packageRoot } from './packageRoot';
import type { DataFormat } from './types';

/** The ten Fashion-MNIST classes, in label order. */
export const FASHION_MNIST_LABELS = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

export const FASHION_MNIST_LICENSE = 'MIT, Copyright (c) 2017 Zalando SE (Fashion-MNIST)';

/** The sets shipped with SKD Lab (their names are also listed in the experiment schema). */
const BUILTIN_SETS: Record<string, { labels: string[]; license: string }> = {
  'fashion-mnist-mini': { labels: FASHION_MNIST_LABELS, license: FASHION_MNIST_LICENSE },
};

/** Where a builtin set lives: `data/<name>/` in the package, as gzip IDX files. */
export function builtinDir(name: string): string {
  return path.join(packageRoot(), 'data', name);
}

export const builtin: DataFormat = {
  name: 'builtin',
  async load(spec, ctx) {
    const name = spec.name ?? 'fashion-mnist-mini';
    const set = Object.hasOwn(BUILTIN_SETS, name) ? BUILTIN_SETS[name] : undefined;
    if (!set) {
      throw new InputError(ctx.experimentFile, 'data.name', `unknown builtin data set "${name}" (known: ${Object.keys(BUILTIN_SETS).join(', ')})`);
    }
    return loadIdxDir(builtinDir(name), { name, ...set });
  },
};
