import * as tfl from '@tensorflow/tfjs-layers';
import { InputError } from '../errors';
import type { BuiltModel, ModelContext } from './types';

/** Checks an integer hyper-parameter of a model spec, naming the field on error. */
export function positiveInt(v: unknown, ctx: ModelContext, key: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InputError(ctx.experimentFile, `${ctx.field}.${key}`, `must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** The model maps an image batch to [logits, ...taps]. */
export function finishModel(
  input: tfl.SymbolicTensor,
  logits: tfl.SymbolicTensor,
  taps: tfl.SymbolicTensor[],
  tapNames: string[],
  ctx: ModelContext,
): BuiltModel {
  const [h, w] = ctx.inputShape;
  if (h < 4 || w < 4) {
    throw new InputError(ctx.experimentFile, 'data', `images of ${h}x${w} are too small for ${ctx.field} (it halves them twice)`);
  }
  const model = tfl.model({ inputs: input, outputs: [logits, ...taps], name: ctx.field });
  return {
    model,
    taps: tapNames,
    tapChannels: taps.map((t) => t.shape[t.shape.length - 1] as number),
    params: model.trainableWeights.reduce((n, w) => n + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0),
  };
}
