import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_FILES } from '../../protocol/runDir';
import type { Experiment } from '../../protocol/experiment';
import { loadDataset, toFloatBatch } from '../data';
import { InputError } from '../errors';
import { loadModelDir, MODEL_JSON, readModelJson } from '../models/modelIO';
import { readJson } from '../runDir/atomicFile';
import { foldBatchNorms, graphFromModel } from './graph';
import type { Student, StudentMeta, TestSet } from './types';

/** Reads a run's trained student and what the trainer stored about its input. */
export async function loadStudent(runDir: string): Promise<Student> {
  const dir = path.join(runDir, RUN_FILES.student);
  const file = path.join(dir, MODEL_JSON);
  if (!fs.existsSync(runDir) || !fs.statSync(runDir).isDirectory()) throw new InputError(runDir, undefined, 'no such run directory');
  if (!fs.existsSync(file)) throw new InputError(runDir, RUN_FILES.student, `no trained student (${path.join(RUN_FILES.student, MODEL_JSON)} is missing)`);
  const meta = checkMeta(readModelJson(dir).userDefinedMetadata, file);
  const model = await loadModelDir(dir);
  const graph = graphFromModel(model);
  return { runDir, model, graph, folded: foldBatchNorms(graph), meta };
}

function checkMeta(m: Record<string, unknown> | undefined, file: string): StudentMeta {
  const field = (k: string) => `userDefinedMetadata.${k}`;
  if (!m) throw new InputError(file, 'userDefinedMetadata', 'missing: the trainer stores the input shape, normalisation and labels there');
  const shape = m.inputShape;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new InputError(file, field('inputShape'), 'must be [height, width, channels]');
  }
  const c = shape[2] as number;
  for (const k of ['mean', 'std']) {
    const v = m[k];
    if (!Array.isArray(v) || v.length !== c || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new InputError(file, field(k), `must be ${c} numbers, one per channel`);
    }
  }
  if (!Array.isArray(m.labels) || !m.labels.every((l) => typeof l === 'string')) throw new InputError(file, field('labels'), 'must be the class names');
  return {
    inputShape: shape as [number, number, number],
    mean: m.mean as number[],
    std: m.std as number[],
    labels: m.labels as string[],
    family: typeof m.family === 'string' ? m.family : 'unknown',
  };
}

/** The test split of the run's data, as its experiment describes it. */
export async function loadRunTestSet(runDir: string): Promise<TestSet> {
  const file = path.join(runDir, RUN_FILES.experiment);
  if (!fs.existsSync(file)) throw new InputError(runDir, RUN_FILES.experiment, 'missing: the export needs the experiment to find the test images');
  const experiment = readJson<Experiment>(file);
  const ds = await loadDataset(experiment.data, { experimentFile: file, baseDir: runDir }, experiment.seed);
  return { ...ds.test, name: `${ds.name} test split` };
}

/** The first `n` images of a test set, normalised as the student expects. */
export function normalisedImages(set: TestSet, n: number, meta: StudentMeta): Float32Array {
  return toFloatBatch(set.x, Int32Array.from({ length: n }, (_, i) => i), meta.inputShape, meta.mean, meta.std);
}
