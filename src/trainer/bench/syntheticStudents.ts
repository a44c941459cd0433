import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { RUN_FILES } from '../../protocol/runDir';
import { buildModel } from '../models';
import { saveModelDir } from '../models/modelIO';
import { Rng } from '../util/rng';
import type { TestSet } from '../export/types';

/**
 * Students and run directories for the export tests and the export benchmark, made without a
 * training run: a model family's network with its batch norms set to the statistics of the
 * data (so activations have the scale a trained net has) and its dense head fitted by
 * least squares on the pooled features (so accuracy means something), on images with one
 * bright class-dependent shape each.
 */

export const SHAPE: [number, number, number] = [16, 16, 1];
export const CLASSES = 4;
export const LABELS = ['square', 'bar', 'column', 'cross'];

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `skd-export-${prefix}-`));
}

/** n images [h, w, c] uint8 of CLASSES shapes at random places plus noise. */
export function shapesData(n: number, seed: number, shape: [number, number, number] = SHAPE): TestSet {
  const [h, w, c] = shape;
  const rng = Rng.derive(seed, 'shapes');
  const x = new Uint8Array(n * h * w * c);
  const y = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const label = k % CLASSES;
    y[k] = label;
    const cy = 3 + rng.int(h - 6);
    const cx = 3 + rng.int(w - 6);
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        const dy = Math.abs(i - cy);
        const dx = Math.abs(j - cx);
        const on = label === 0 ? dy <= 2 && dx <= 2 : label === 1 ? dy <= 0 && dx <= 3 : label === 2 ? dx <= 0 && dy <= 3 : (dx === 0 && dy <= 2) || (dy === 0 && dx <= 2);
        for (let ch = 0; ch < c; ch++) x[((k * h + i) * w + j) * c + ch] = Math.min(255, (on ? 200 : 20) + rng.int(50));
      }
  }
  return { x, y, n };
}

export const MEAN = [0.2];
export const STD = [0.3];

/** What a student is made for: the fixtures' shapes by default, or a real data set. */
export interface StudentData {
  shape: [number, number, number];
  classes: number;
  labels: string[];
  mean: number[];
  std: number[];
  /** Images the batch norms and the dense head are fitted on. */
  calibration: TestSet;
}

export const SHAPES_DATA: StudentData = { shape: SHAPE, classes: CLASSES, labels: LABELS, mean: MEAN, std: STD, calibration: shapesData(128, 8) };

export function normalise(set: TestSet, data: Pick<StudentData, 'shape' | 'mean' | 'std'> = SHAPES_DATA): tf.Tensor4D {
  const [h, w, c] = data.shape;
  const f = new Float32Array(set.x.length);
  for (let i = 0; i < f.length; i++) f[i] = (set.x[i] / 255 - data.mean[i % c]) / data.std[i % c];
  return tf.tensor4d(f, [set.n, h, w, c]);
}

/** A family's student (logits only), made useful on the data without gradient training. */
export function makeStudent(family: string, width = 4, data: StudentData = SHAPES_DATA, seed = 1): tfl.LayersModel {
  const built = buildModel({ model: family, width, depth: family === 'resnet' ? 8 : undefined, epochs: 1 }, {
    inputShape: data.shape,
    numClasses: data.classes,
    seed,
    experimentFile: 'test.skd.json',
    field: 'student',
  });
  const model = tfl.model({ inputs: built.model.inputs, outputs: built.model.outputs[0], name: 'student' });
  calibrate(model, data);
  return model;
}

/** Batch norms to the batch statistics of the data, in order; then the dense head by ridge regression. */
function calibrate(model: tfl.LayersModel, cal: StudentData): void {
  const rng = Rng.derive(7, 'calibrate');
  const data = cal.calibration;
  const x = normalise(data, cal);
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const probe = tfl.model({ inputs: model.inputs, outputs: layer.input as tfl.SymbolicTensor });
    const act = probe.predict(x) as tf.Tensor;
    const { mean, variance } = tf.moments(act, [0, 1, 2]);
    const c = mean.shape[0];
    // Non-trivial gamma and beta so that folding them is exercised, not just the statistics.
    const gamma = tf.tensor1d(Array.from({ length: c }, () => 0.5 + rng.next()));
    const beta = tf.tensor1d(Array.from({ length: c }, () => 0.2 * (rng.next() - 0.5)));
    layer.setWeights([gamma, beta, mean, variance]);
    act.dispose();
  }
  const dense = model.layers[model.layers.length - 1];
  const probe = tfl.model({ inputs: model.inputs, outputs: dense.input as tfl.SymbolicTensor });
  const feats = probe.predict(x) as tf.Tensor2D;
  const onehot = tf.cast(tf.oneHot(tf.tensor1d(data.y, 'int32'), cal.classes), 'float32');
  const [, d] = feats.shape;
  const ones = tf.ones([data.n, 1]);
  const a = tf.concat([feats, ones], 1);
  const gram = tf.add(tf.matMul(a, a, true, false), tf.mul(tf.eye(d + 1), 1e-2));
  const rhs = tf.matMul(a, onehot, true, false);
  const sol = solve(gram.arraySync() as number[][], rhs.arraySync() as number[][]);
  const scaled = sol.map((row) => row.map((v) => v * 8)); // confident logits, as a trained net gives
  dense.setWeights([tf.tensor2d(scaled.slice(0, d)), tf.tensor1d(scaled[d])]);
  tf.dispose([x, feats, onehot, ones, a, gram, rhs]);
}

/** Gauss-Jordan solve of A X = B (A symmetric positive definite, small). */
function solve(a: number[][], b: number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...b[i]]);
  for (let i = 0; i < n; i++) {
    let p = i;
    for (let r = i + 1; r < n; r++) if (Math.abs(m[r][i]) > Math.abs(m[p][i])) p = r;
    [m[i], m[p]] = [m[p], m[i]];
    const piv = m[i][i];
    for (let j = 0; j < m[i].length; j++) m[i][j] /= piv;
    for (let r = 0; r < n; r++) {
      if (r === i) continue;
      const f = m[r][i];
      for (let j = 0; j < m[r].length; j++) m[r][j] -= f * m[i][j];
    }
  }
  return m.map((row) => row.slice(n));
}

/** A run directory with the student written as the trainer writes it. */
export async function makeRunDir(model: tfl.LayersModel, family: string, data: StudentData = SHAPES_DATA): Promise<string> {
  const dir = tmpDir(`run-${family}`);
  await saveModelDir(path.join(dir, RUN_FILES.student), model, {
    inputShape: data.shape,
    mean: data.mean,
    std: data.std,
    labels: data.labels,
    family,
  });
  fs.writeFileSync(path.join(dir, RUN_FILES.summary), JSON.stringify({ name: `test-${family}`, student: { model: family, testAcc: 0, params: 0 } }));
  return dir;
}

/** IDX files of a split (raw, uncompressed) as the `idx` data format reads them. */
function writeIdx(dir: string, stem: string, set: TestSet, shape: [number, number, number]): void {
  const head = (magic: number, dims: number[]) => {
    const b = Buffer.alloc(4 + 4 * dims.length);
    b.writeUInt32BE(magic, 0);
    dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
    return b;
  };
  fs.writeFileSync(path.join(dir, `${stem}-images-idx3-ubyte`), Buffer.concat([head(0x803, [set.n, shape[0], shape[1]]), set.x]));
  fs.writeFileSync(path.join(dir, `${stem}-labels-idx1-ubyte`), Buffer.concat([head(0x801, [set.n]), Buffer.from(Uint8Array.from(set.y))]));
}

/** Gives a run directory an experiment whose data (IDX files beside it) has `test` as its test split. */
export function addIdxExperiment(runDir: string, test: TestSet): void {
  const data = path.join(runDir, 'data');
  fs.mkdirSync(data, { recursive: true });
  writeIdx(data, 'train', shapesData(40, 99), SHAPE);
  writeIdx(data, 't10k', test, SHAPE);
  fs.writeFileSync(path.join(data, 'labels.txt'), LABELS.join('\n') + '\n');
  const experiment = { name: 'export-test', seed: 1, data: { format: 'idx', dir: data } };
  fs.writeFileSync(path.join(runDir, RUN_FILES.experiment), JSON.stringify(experiment));
}
