/**
 * Plain-JS arithmetic for the method tests: the expected values are computed here on nested
 * arrays, independently of tf.js, and the tiny batch every test uses.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's node entry registers no gradients; the trainer's backend module does the same.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { BatchContext, MethodSetup } from '../../../src/trainer/methods/types';

export type Mat = number[][];
/** NHWC. */
export type Map4 = number[][][][];

export const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);
export const mean = (a: number[]): number => sum(a) / a.length;

export function softmax(z: number[], t = 1): number[] {
  const m = Math.max(...z.map((v) => v / t));
  const e = z.map((v) => Math.exp(v / t - m));
  const s = sum(e);
  return e.map((v) => v / s);
}

/** KL(p || q) of two distributions; 0 log 0 = 0. */
export function kl(p: number[], q: number[]): number {
  return sum(p.map((pi, i) => (pi === 0 ? 0 : pi * Math.log(pi / q[i]))));
}

export function ce(logits: Mat, labels: number[]): number {
  return mean(logits.map((z, b) => -Math.log(softmax(z)[labels[b]])));
}

export function kdTerm(teacher: Mat, student: Mat, t: number): number {
  return t * t * mean(teacher.map((z, b) => kl(softmax(z, t), softmax(student[b], t))));
}

/** DKD's binary [p_target, p_others] and the renormalised non-target distribution. */
export function binary(z: number[], label: number, t: number): number[] {
  const p = softmax(z, t);
  return [p[label], 1 - p[label]];
}
export function nonTarget(z: number[], label: number, t: number): number[] {
  const p = softmax(z, t);
  const rest = 1 - p[label];
  return p.map((v, i) => (i === label ? 0 : v / rest));
}

export function tckd(teacher: Mat, student: Mat, labels: number[], t: number): number {
  return t * t * mean(teacher.map((z, b) => kl(binary(z, labels[b], t), binary(student[b], labels[b], t))));
}
export function nckd(teacher: Mat, student: Mat, labels: number[], t: number): number {
  return t * t * mean(teacher.map((z, b) => kl(nonTarget(z, labels[b], t), nonTarget(student[b], labels[b], t))));
}

export function normalize(v: number[]): number[] {
  const n = Math.sqrt(sum(v.map((x) => x * x)));
  return v.map((x) => x / n);
}

/** Mean over channels of f^2, flattened row-major over (h, w), L2-normalised: one row per sample. */
export function attention(f: Map4): Mat {
  return f.map((img) => normalize(img.flatMap((row) => row.map((px) => mean(px.map((c) => c * c))))));
}

export function mse(a: number[], b: number[]): number {
  return mean(a.map((x, i) => (x - b[i]) ** 2));
}

/** 1x1 convolution: kernel [cin][cout] (the tf kernel [1,1,cin,cout] flattened), bias [cout]. */
export function conv1x1(f: Map4, kernel: number[], bias: number[], cin: number, cout: number): Map4 {
  return f.map((img) =>
    img.map((row) =>
      row.map((px) => Array.from({ length: cout }, (_, o) => bias[o] + sum(px.map((x, i) => x * kernel[i * cout + o])))),
    ),
  );
}

export const flat4 = (f: Map4): number[] => f.flat(3);
export const ones = (n: number): number[] => new Array<number>(n).fill(1);
export const zeros = (n: number): number[] => new Array<number>(n).fill(0);

/** torch's BatchNorm2d in training mode on NHWC: per channel, biased batch statistics over N, H, W. */
export function batchNormTrain(f: Map4, gamma: number[], shift: number[], eps = 1e-5): Map4 {
  const c = f[0][0][0].length;
  const stats = Array.from({ length: c }, (_, k) => {
    const v = f.flatMap((img) => img.flatMap((row) => row.map((px) => px[k])));
    const m = mean(v);
    return { m, s: Math.sqrt(mean(v.map((x) => (x - m) ** 2)) + eps) };
  });
  return f.map((img) => img.map((row) => row.map((px) => px.map((x, k) => ((x - stats[k].m) / stats[k].s) * gamma[k] + shift[k]))));
}

/** mdistiller's ConvReg for maps of equal size: relu(BN(conv1x1(f))), the conv without bias. */
export function convReg(f: Map4, kernel: number[], gamma: number[], shift: number[], cin: number, cout: number): Map4 {
  const bn = batchNormTrain(conv1x1(f, kernel, zeros(cout), cin, cout), gamma, shift);
  return bn.map((img) => img.map((row) => row.map((px) => px.map((x) => Math.max(0, x)))));
}

/** A deterministic NHWC map [b, h, w, c] with varied signs and sizes. */
export function featureMap(b: number, h: number, w: number, c: number, offset: number): Map4 {
  return Array.from({ length: b }, (_, i) =>
    Array.from({ length: h }, (_, y) =>
      Array.from({ length: w }, (_, x) => Array.from({ length: c }, (_, k) => Math.sin(offset + 1.3 * i + 0.7 * y + 1.9 * x + 2.3 * k) * (1 + k))),
    ),
  );
}

export const STUDENT: Mat = [
  [1.0, 2.0, 0.5],
  [0.2, -0.3, 1.5],
];
export const TEACHER: Mat = [
  [2.0, 1.0, -1.0],
  [0.0, 0.5, 3.0],
];
export const STAGE: Mat = [
  [1.5, 1.2, 0.0],
  [-0.5, 0.4, 2.0],
];
export const LABELS = [1, 2];
export const ONE_HOT: Mat = LABELS.map((l) => [0, 1, 2].map((i) => (i === l ? 1 : 0)));
export const STUDENT_CHANNELS = [2, 3];
export const TEACHER_CHANNELS = [3, 2];
export const STUDENT_FEATURES: Map4[] = STUDENT_CHANNELS.map((c, l) => featureMap(2, 2, 2, c, l));
export const TEACHER_FEATURES: Map4[] = TEACHER_CHANNELS.map((c, l) => featureMap(2, 2, 2, c, 10 + l));

export function setup(overrides: Partial<MethodSetup['spec']> = {}, seed = 7): MethodSetup {
  return {
    spec: { name: 'test', stages: 4, temperature: 4, ...overrides },
    numClasses: 3,
    studentTapChannels: STUDENT_CHANNELS,
    teacherTapChannels: TEACHER_CHANNELS,
    behaviourSizes: [4, 4],
    seed,
    tf,
  };
}

/** The tiny batch as tensors; dispose with `disposeBatch`. */
export function batch(epoch = 0, epochs = 10, stage = 0): BatchContext {
  return {
    labels: tf.tensor1d(LABELS, 'int32'),
    oneHot: tf.tensor2d(ONE_HOT),
    studentLogits: tf.tensor2d(STUDENT),
    studentFeatures: STUDENT_FEATURES.map((f) => tf.tensor4d(f)),
    teacher: {
      finalLogits: tf.tensor2d(TEACHER),
      stageLogits: tf.tensor2d(STAGE),
      features: TEACHER_FEATURES.map((f) => tf.tensor4d(f)),
    },
    epoch,
    epochs,
    stage,
    stages: 4,
    teacherStage: stage,
    teacherStages: 4,
  };
}

export function disposeBatch(b: BatchContext): void {
  tf.dispose([b.labels, b.oneHot, b.studentLogits, ...b.studentFeatures]);
  tf.dispose([b.teacher.finalLogits, b.teacher.stageLogits, ...(b.teacher.features ?? [])].filter((t) => t !== undefined));
}

export function close(actual: number, expected: number, tol = 1e-4): void {
  const scale = Math.max(1, Math.abs(expected));
  if (!(Math.abs(actual - expected) <= tol * scale)) {
    throw new Error(`expected ${expected}, got ${actual} (tolerance ${tol * scale})`);
  }
}

export const value = (t: tf.Tensor): number => t.dataSync()[0];
