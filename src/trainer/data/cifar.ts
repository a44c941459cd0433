import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors';
import { readDataFile, readNameList, resolveDataDir } from './files';
import type { DataFormat, DataContext, LoadedDataset, Split } from './types';
import type { DataSpec } from '../../protocol/experiment';

/**
 * CIFAR-10 and CIFAR-100 binary versions: fixed-size records of label byte(s) then 32x32x3
 * pixels stored channel by channel (CHW), which are turned into NHWC here.
 */
const SIDE = 32;
const PIXELS = SIDE * SIDE;
const IMAGE_BYTES = PIXELS * 3;

interface CifarLayout {
  name: 'cifar10' | 'cifar100';
  /** The folder the official archive unpacks to, looked for inside `data.dir` too. */
  archiveFolder: string;
  trainFiles: string[];
  testFile: string;
  /** Label bytes per record and which of them is the class used (CIFAR-100: fine). */
  labelBytes: number;
  labelOffset: number;
  numClasses: number;
  /** Other label bytes and their ranges, checked too (CIFAR-100: coarse, 20 classes). */
  otherLabels: { offset: number; numClasses: number; what: string }[];
  namesFile: string;
}

const CIFAR10: CifarLayout = {
  name: 'cifar10',
  archiveFolder: 'cifar-10-batches-bin',
  trainFiles: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`),
  testFile: 'test_batch.bin',
  labelBytes: 1,
  labelOffset: 0,
  numClasses: 10,
  otherLabels: [],
  namesFile: 'batches.meta.txt',
};

const CIFAR100: CifarLayout = {
  name: 'cifar100',
  archiveFolder: 'cifar-100-binary',
  trainFiles: ['train.bin'],
  testFile: 'test.bin',
  labelBytes: 2,
  labelOffset: 1,
  numClasses: 100,
  otherLabels: [{ offset: 0, numClasses: 20, what: 'coarse label' }],
  namesFile: 'fine_label_names.txt',
};

/** Decodes one batch file into NHWC images and labels, checking its size and label bytes. */
export function parseCifarBatch(bytes: Uint8Array, file: string, layout: CifarLayout): Split {
  const record = layout.labelBytes + IMAGE_BYTES;
  if (bytes.length === 0) throw new InputError(file, undefined, 'empty file');
  if (bytes.length % record !== 0) {
    const holds = Math.floor((bytes.length / record) * 1000) / 1000;
    throw new InputError(file, undefined, `size ${bytes.length} is not a whole number of ${record}-byte ${layout.name} records (holds ${holds}); truncated or not a ${layout.name} binary batch`);
  }
  const n = bytes.length / record;
  const x = new Uint8Array(n * IMAGE_BYTES);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const base = i * record;
    for (const other of layout.otherLabels) {
      const v = bytes[base + other.offset];
      if (v >= other.numClasses) throw new InputError(file, undefined, `${other.what} ${v} out of range 0..${other.numClasses - 1} (record ${i})`);
    }
    const label = bytes[base + layout.labelOffset];
    if (label >= layout.numClasses) throw new InputError(file, undefined, `label ${label} out of range 0..${layout.numClasses - 1} (record ${i})`);
    y[i] = label;
    const src = base + layout.labelBytes;
    const dst = i * IMAGE_BYTES;
    for (let p = 0; p < PIXELS; p++) {
      x[dst + 3 * p] = bytes[src + p];
      x[dst + 3 * p + 1] = bytes[src + PIXELS + p];
      x[dst + 3 * p + 2] = bytes[src + 2 * PIXELS + p];
    }
  }
  return { x, y, n };
}

function concatSplits(parts: Split[]): Split {
  const n = parts.reduce((a, p) => a + p.n, 0);
  const x = new Uint8Array(n * IMAGE_BYTES);
  const y = new Int32Array(n);
  let at = 0;
  for (const p of parts) {
    x.set(p.x, at * IMAGE_BYTES);
    y.set(p.y, at);
    at += p.n;
  }
  return { x, y, n };
}

/** `data.dir` itself, or the archive's folder inside it when the user pointed at its parent. */
function batchDir(dir: string, layout: CifarLayout): string {
  const inner = path.join(dir, layout.archiveFolder);
  const hasTest = (d: string): boolean => fs.existsSync(path.join(d, layout.testFile));
  return !hasTest(dir) && hasTest(inner) ? inner : dir;
}

async function loadCifar(spec: DataSpec, ctx: DataContext, layout: CifarLayout): Promise<LoadedDataset> {
  const dir = batchDir(resolveDataDir(spec, ctx), layout);
  const file = (name: string): string => path.join(dir, name);
  // All training batches must be there: a silently smaller training set would skew results.
  const trainParts = await Promise.all(layout.trainFiles.map(async (f) => parseCifarBatch(await readDataFile(file(f)), file(f), layout)));
  const test = parseCifarBatch(await readDataFile(file(layout.testFile)), file(layout.testFile), layout);

  const namesFile = file(layout.namesFile);
  const names = readNameList(namesFile);
  if (names && names.length !== layout.numClasses) {
    throw new InputError(namesFile, undefined, `names ${names.length} classes, expected ${layout.numClasses}`);
  }
  return {
    name: `${layout.name}:${path.basename(dir)}`,
    shape: [SIDE, SIDE, 3],
    numClasses: layout.numClasses,
    labels: names ?? Array.from({ length: layout.numClasses }, (_, k) => String(k)),
    train: concatSplits(trainParts),
    test,
    mean: [],
    std: [],
    source: dir,
  };
}

/** The first training batch, in `data.dir` or in the archive's folder inside it (`batchDir`). */
const expectedFiles = (layout: CifarLayout): string[] => [layout.trainFiles[0], path.join(layout.archiveFolder, layout.trainFiles[0])];

export const cifar10: DataFormat = { name: 'cifar10', expectedFiles: expectedFiles(CIFAR10), load: (spec, ctx) => loadCifar(spec, ctx, CIFAR10) };
export const cifar100: DataFormat = { name: 'cifar100', expectedFiles: expectedFiles(CIFAR100), load: (spec, ctx) => loadCifar(spec, ctx, CIFAR100) };
export { CIFAR10, CIFAR100 };
export type { CifarLayout };
