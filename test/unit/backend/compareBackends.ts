import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { selectBackend } from '../../../src/trainer/backend/select';
import { Rng } from '../../../src/trainer/util/rng';

/** Helpers for tests that run the same computation on wasm and cpu and compare the numbers. */

export interface HostTensor {
  shape: number[];
  values: Float32Array;
}

export function randomHost(shape: number[], seed: number): HostTensor {
  const rng = new Rng(seed);
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = rng.next() * 2 - 1;
  return { shape, values };
}

/** Runs `fn` on backend `name` with the inputs made there, and returns its outputs' values. */
export async function runOn(
  name: 'wasm' | 'cpu' | 'webgpu',
  inputs: HostTensor[],
  fn: (...xs: tf.Tensor[]) => tf.Tensor[],
): Promise<Float32Array[]> {
  await selectBackend(name);
  const xs = inputs.map((h) => tf.tensor(h.values, h.shape));
  const outs = fn(...xs);
  const values = await Promise.all(outs.map(async (t) => new Float32Array(await t.data())));
  tf.dispose([...xs, ...outs]);
  return values;
}

/** Why the webgpu backend cannot start here (no hardware GPU under Vulkan), or false. */
export async function webgpuUnavailable(): Promise<string | false> {
  try {
    await selectBackend('webgpu');
    return false;
  } catch (e) {
    return String(e instanceof Error ? e.message : e);
  }
}

/** max |a - b| over max |b|: the error relative to the reference's scale. */
export function relativeError(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Runs on both backends and returns the worst relative error over all outputs (wasm vs cpu). */
export async function wasmVsCpu(inputs: HostTensor[], fn: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<number> {
  const wasm = await runOn('wasm', inputs, fn);
  const cpu = await runOn('cpu', inputs, fn);
  let worst = 0;
  for (let i = 0; i < cpu.length; i++) worst = Math.max(worst, relativeError(wasm[i], cpu[i]));
  return worst;
}
