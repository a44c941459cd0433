import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { InputError } from '../errors';
import type { NamedArray } from '../runDir/checkpoint';

/**
 * A uniform view of trainable state (a model's weights, including batch-norm statistics, a
 * method's adapters, optimizer buffers) for checkpoints and best-of-stage copies.
 */
export interface WeightSlot {
  name: string;
  shape: number[];
  get(): Float32Array;
  set(data: Float32Array): void;
}

export function modelSlots(model: LayersModel, prefix: string): WeightSlot[] {
  // By position: tf.js de-duplicates variable names with suffixes that depend on what else
  // the process built, so names are not stable across processes; the architecture order is.
  return model.weights.map((w, i) => ({
    name: `${prefix}/${i}/${w.originalName}`,
    shape: [...w.shape] as number[],
    get: () => Float32Array.from(w.read().dataSync() as Float32Array),
    set: (data) => w.write(tf.tensor(data, w.shape as number[])),
  }));
}

export function variableSlots(vars: tf.Variable[], prefix: string): WeightSlot[] {
  return vars.map((v, i) => ({
    name: `${prefix}/${i}`,
    shape: [...v.shape],
    get: () => Float32Array.from(v.dataSync() as Float32Array),
    set: (data) => v.assign(tf.tensor(data, v.shape)),
  }));
}

export function captureSlots(slots: WeightSlot[]): NamedArray[] {
  return slots.map((s) => ({ name: s.name, shape: s.shape, data: s.get() }));
}

/** Restores slots from arrays by name; a missing or mis-shaped array is an error. */
export function restoreSlots(slots: WeightSlot[], arrays: NamedArray[], source: string): void {
  const byName = new Map(arrays.map((a) => [a.name, a]));
  for (const s of slots) {
    const a = byName.get(s.name);
    // A checkpoint of another network (an edited experiment.json, a copied file) is bad input.
    if (!a) throw new InputError(source, undefined, `no saved values for ${s.name}: the checkpoint is of another network`);
    if (a.shape.join('x') !== s.shape.join('x')) {
      throw new InputError(source, undefined, `${s.name} has shape ${a.shape.join('x')} but the model needs ${s.shape.join('x')}: the checkpoint is of another network`);
    }
    tf.tidy(() => s.set(a.data));
  }
}
