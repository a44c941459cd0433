import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { NamedArray } from './checkpoint';

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
    if (!a) throw new Error(`${source}: no saved values for ${s.name}`);
    if (a.shape.join('x') !== s.shape.join('x')) throw new Error(`${source}: ${s.name} has shape ${a.shape} but the model needs ${s.shape}`);
    tf.tidy(() => s.set(a.data));
  }
}
