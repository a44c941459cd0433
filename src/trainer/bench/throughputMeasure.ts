import * as tf from '@tensorflow/tfjs-core';
import type { ModelSpec } from '../../protocol/experiment';
import { selectBackend, type ComputeBackend } from '../backend/select';
import { sgdStep } from '../backend/trainingStep';
import { buildModel } from '../models';
import { Rng } from '../util/rng';

/**
 * Training throughput of one network on the backend active in this process: a few warm-up
 * steps (kernel set-up, XNNPACK operator caches), then timed SGD steps on a fixed random batch
 * until the time budget or the step limit is reached. The input data does not change the work.
 */

export const BENCH_BATCH = 64;
export const BENCH_INPUT: [number, number, number] = [28, 28, 1];
export const BENCH_CLASSES = 10;

export interface BenchNets {
  teacher: ModelSpec;
  student: ModelSpec;
}

export interface StepBudget {
  seconds: number;
  batch: number;
  warmupSteps: number;
  maxSteps: number;
}

export interface NetThroughput {
  imagesPerSec: number;
  batch: number;
  steps: number;
  msPerStep: number;
  params: number;
}

export interface BackendThroughput {
  backend: string;
  detail: string;
  studentTrainImagesPerSec: number;
  teacherTrainImagesPerSec: number;
  student: NetThroughput;
  teacher: NetThroughput;
}

/**
 * The cpu backend takes minutes per teacher step at batch 64: it times one step of 16 images
 * without warm-up (its per-image cost hardly depends on the batch; set-up is negligible there).
 */
export function budgetFor(backend: string, seconds: number, batch = BENCH_BATCH): StepBudget {
  return backend === 'cpu'
    ? { seconds: 0, batch: Math.min(16, batch), warmupSteps: 0, maxSteps: 1 }
    : { seconds, batch, warmupSteps: 3, maxSteps: 10_000 };
}

/** A fixed random batch of `batch` 28x28x1 images with cycling labels, seeded by `key`. */
export function benchBatch(batch: number, ...key: string[]): { x: tf.Tensor4D; oneHot: tf.Tensor2D } {
  return benchBatchOf(batch, BENCH_INPUT, ...key);
}

/** The same for images of shape `input` ([height, width, channels]). */
export function benchBatchOf(batch: number, input: readonly [number, number, number], ...key: string[]): { x: tf.Tensor4D; oneHot: tf.Tensor2D } {
  const rng = Rng.derive(1, ...key);
  const values = new Float32Array(batch * input[0] * input[1] * input[2]);
  for (let i = 0; i < values.length; i++) values[i] = rng.next();
  return tf.tidy(() => ({
    x: tf.tensor4d(values, [batch, input[0], input[1], input[2]]),
    oneHot: tf.cast(tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % BENCH_CLASSES), 'int32'), BENCH_CLASSES), 'float32') as tf.Tensor2D,
  }));
}

export async function measureNet(
  spec: ModelSpec,
  field: string,
  budget: StepBudget,
  input: [number, number, number] = BENCH_INPUT,
): Promise<NetThroughput> {
  const batch = budget.batch;
  const built = buildModel(spec, { inputShape: input, numClasses: BENCH_CLASSES, seed: 1, experimentFile: 'bench', field });
  const { x, oneHot } = benchBatchOf(batch, input, 'bench', field);
  for (let i = 0; i < budget.warmupSteps; i++) await sgdStep(built.model, x, oneHot, 0.01);
  let steps = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    await sgdStep(built.model, x, oneHot, 0.01);
    steps++;
    elapsed = (performance.now() - start) / 1000;
  } while (elapsed < budget.seconds && steps < budget.maxSteps);
  tf.dispose([x, oneHot]);
  built.model.dispose();
  return { imagesPerSec: (steps * batch) / elapsed, batch, steps, msPerStep: (elapsed * 1000) / steps, params: built.params };
}

/** Selects `backend` in this process and measures both networks on it. */
export async function measureBackend(
  backend: ComputeBackend,
  nets: BenchNets,
  seconds: number,
  batch = BENCH_BATCH,
): Promise<BackendThroughput> {
  const selected = await selectBackend(backend);
  const budget = budgetFor(selected.name, seconds, batch);
  const student = await measureNet(nets.student, 'student', budget);
  const teacher = await measureNet(nets.teacher, 'teacher', budget);
  return {
    backend,
    detail: selected.detail,
    studentTrainImagesPerSec: round(student.imagesPerSec),
    teacherTrainImagesPerSec: round(teacher.imagesPerSec),
    student,
    teacher,
  };
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
