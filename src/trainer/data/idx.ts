import * as path from 'node:path';
import { InputError } from '../errors';
import { firstExisting, readDataFile, readNameList, resolveDataDir } from './files';
import { parseIdxImages, parseIdxLabels } from './idxFile';
import type { DataFormat, LoadedDataset, Split } from './types';
import { checkLabels } from './validate';

/** File stems of an MNIST-family directory; each may be raw or gzip, named with or without `.gz`. */
const STEMS = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

/** The names a file may have: raw or `.gz`, and the `train-images.idx3-ubyte` spelling some mirrors use. */
function idxFileNames(stem: string): string[] {
  const dotted = stem.replace('-idx', '.idx');
  return [stem, `${stem}.gz`, dotted, `${dotted}.gz`];
}

function findIdxFile(dir: string, stem: string): string {
  const found = firstExisting(dir, idxFileNames(stem));
  if (!found) throw new InputError(path.join(dir, stem), undefined, 'not found (nor with .gz)');
  return found;
}

interface IdxSplit extends Split {
  rows: number;
  cols: number;
  labelsFile: string;
}

async function readIdxSplit(imagesFile: string, labelsFile: string): Promise<IdxSplit> {
  const [imageBytes, labelBytes] = await Promise.all([readDataFile(imagesFile), readDataFile(labelsFile)]);
  const images = parseIdxImages(imageBytes, imagesFile);
  const y = parseIdxLabels(labelBytes, labelsFile);
  if (y.length !== images.n) {
    throw new InputError(labelsFile, undefined, `holds ${y.length} labels but ${path.basename(imagesFile)} holds ${images.n} images`);
  }
  return { x: images.x, y, n: images.n, rows: images.rows, cols: images.cols, labelsFile };
}

function maxLabel(...ys: Int32Array[]): number {
  let m = -1;
  for (const y of ys) for (let i = 0; i < y.length; i++) if (y[i] > m) m = y[i];
  return m;
}

export interface IdxDirOptions {
  name: string;
  /** Class names; when absent, `labels.txt` in the directory, else "0", "1", ... */
  labels?: string[];
  license?: string;
}

/** Loads an MNIST-family directory (the `idx` format, and the builtin sets shipped as IDX). */
export async function loadIdxDir(dir: string, options: IdxDirOptions): Promise<LoadedDataset> {
  const files = {
    trainImages: findIdxFile(dir, STEMS.trainImages),
    trainLabels: findIdxFile(dir, STEMS.trainLabels),
    testImages: findIdxFile(dir, STEMS.testImages),
    testLabels: findIdxFile(dir, STEMS.testLabels),
  };
  const [train, test] = await Promise.all([
    readIdxSplit(files.trainImages, files.trainLabels),
    readIdxSplit(files.testImages, files.testLabels),
  ]);
  if (test.rows !== train.rows || test.cols !== train.cols) {
    throw new InputError(files.testImages, undefined, `images are ${test.rows}x${test.cols} but the training images are ${train.rows}x${train.cols}`);
  }

  const labelsFile = path.join(dir, 'labels.txt');
  const labels = options.labels ?? readNameList(labelsFile);
  if (labels && labels.length === 0) throw new InputError(labelsFile, undefined, 'names no classes');
  // Without names, the class count comes from the labels; MNIST-family sets (28x28, digits
  // 0..9) always have ten, even when a small subset lacks a class.
  const highest = maxLabel(train.y, test.y);
  const mnistLike = train.rows === 28 && train.cols === 28 && highest <= 9;
  const numClasses = labels?.length ?? (mnistLike ? 10 : highest + 1);
  checkLabels(train.y, numClasses, files.trainLabels);
  checkLabels(test.y, numClasses, files.testLabels);

  return {
    name: options.name,
    shape: [train.rows, train.cols, 1],
    numClasses,
    labels: labels ?? Array.from({ length: numClasses }, (_, k) => String(k)),
    train: { x: train.x, y: train.y, n: train.n },
    test: { x: test.x, y: test.y, n: test.n },
    // loadDataset computes these from the training split it keeps (after `limit`).
    mean: [],
    std: [],
    source: dir,
    license: options.license,
  };
}

export const idx: DataFormat = {
  name: 'idx',
  expectedFiles: idxFileNames(STEMS.trainImages),
  async load(spec, ctx) {
    const dir = resolveDataDir(spec, ctx);
    return loadIdxDir(dir, { name: path.basename(dir) });
  },
};
