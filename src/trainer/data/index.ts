import type { DataSpec } from '../../protocol/experiment';
import { InputError } from '../errors';
import { Rng } from '../util/rng';
import { builtin } from './builtin';
import { cifar10, cifar100 } from './cifar';
import { folder } from './folder';
import { idx } from './idx';
import { channelStats } from './stats';
import { selectRecords, stratifiedSample } from './subsample';
import type { DataContext, DataFormat, LoadedDataset, Split } from './types';
import { checkDataset } from './validate';

/** Data formats by name; a plugin adds one with `registerDataFormat`. */
const formats = new Map<string, DataFormat>();
const names: string[] = [];

/** The names of the formats known now (the builtin five, then registered plugins). */
export const DATA_FORMAT_NAMES: readonly string[] = names;

export function registerDataFormat(format: DataFormat): void {
  if (!formats.has(format.name)) names.push(format.name);
  formats.set(format.name, format);
}

for (const f of [builtin, idx, cifar10, cifar100, folder]) registerDataFormat(f);

export function getDataFormat(name: string): DataFormat | undefined {
  return formats.get(name);
}

function checkLimit(value: number | undefined, ctx: DataContext, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) {
    throw new InputError(ctx.experimentFile, field, `must be a whole number of images >= 1, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** At most `limit` records of `split`, stratified by class, drawn from the experiment's seed. */
function limitSplit(split: Split, limit: number | undefined, imageBytes: number, rng: Rng): Split {
  if (limit === undefined || limit >= split.n) return split;
  return selectRecords(split, stratifiedSample(split.y, limit, rng), imageBytes);
}

/**
 * Loads the experiment's data: picks the format, checks what it gave, applies `data.limit`
 * (a stratified subsample per split, the same for the same `seed`) and computes the
 * per-channel mean and std of the training images that remain.
 */
export async function loadDataset(spec: DataSpec, ctx: DataContext, seed: number): Promise<LoadedDataset> {
  const format = getDataFormat(spec.format);
  if (!format) {
    throw new InputError(ctx.experimentFile, 'data.format', `unknown data format "${spec.format}" (known: ${DATA_FORMAT_NAMES.join(', ')})`);
  }
  const trainLimit = checkLimit(spec.limit?.train, ctx, 'data.limit.train');
  const testLimit = checkLimit(spec.limit?.test, ctx, 'data.limit.test');

  const ds = await format.load(spec, ctx);
  checkDataset(ds);
  const [h, w, c] = ds.shape;
  const train = limitSplit(ds.train, trainLimit, h * w * c, Rng.derive(seed, 'data/limit/train'));
  const test = limitSplit(ds.test, testLimit, h * w * c, Rng.derive(seed, 'data/limit/test'));
  return { ...ds, train, test, ...channelStats(train.x, c) };
}

export { augmentBatch, randomCrop, randomFlip, type AugmentOptions } from './augment';
export { gatherBatch, toFloatBatch } from './batches';
export { stratifiedSample, stratifiedSplit, selectRecords } from './subsample';
export type { DataContext, DataFormat, LoadedDataset, Split } from './types';
