// Makes SKD Lab's builtin data set `fashion-mnist-mini`: a fixed, class-balanced subset of
// Fashion-MNIST, written as gzip IDX files to data/fashion-mnist-mini/.
//
//   node --import tsx scripts/make-fashion-mnist-mini.ts [source dir] [train per class] [test per class]
//
// The source defaults to Debian's `dataset-fashion-mnist` (/usr/share/datasets/fashion-mnist).
// The choice is seeded, and gzip output carries no timestamp, so the same source gives the
// same bytes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { readDataFile } from '../src/trainer/data/files';
import { encodeIdxImages, encodeIdxLabels, parseIdxImages, parseIdxLabels } from '../src/trainer/data/idxFile';
import { Rng } from '../src/trainer/util/rng';

const SEED = 2017;
const source = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const trainPerClass = Number(process.argv[3] ?? 800);
const testPerClass = Number(process.argv[4] ?? 200);
const out = path.join(__dirname, '..', 'data', 'fashion-mnist-mini');

/** `perClass` records of each of the ten classes, picked at random, kept in file order. */
function balancedPick(y: Int32Array, perClass: number, rng: Rng): number[] {
  const picked: number[] = [];
  for (let k = 0; k < 10; k++) {
    const members: number[] = [];
    for (let i = 0; i < y.length; i++) if (y[i] === k) members.push(i);
    if (members.length < perClass) throw new Error(`class ${k} has only ${members.length} records`);
    picked.push(...rng.shuffle(members).slice(0, perClass));
  }
  return picked.sort((a, b) => a - b);
}

async function makeSplit(stem: 'train' | 't10k', perClass: number): Promise<void> {
  const imagesFile = path.join(source, `${stem}-images-idx3-ubyte.gz`);
  const labelsFile = path.join(source, `${stem}-labels-idx1-ubyte.gz`);
  const images = parseIdxImages(await readDataFile(imagesFile), imagesFile);
  const labels = parseIdxLabels(await readDataFile(labelsFile), labelsFile);
  const picked = balancedPick(labels, perClass, Rng.derive(SEED, 'fashion-mnist-mini', stem));
  const size = images.rows * images.cols;
  const x = new Uint8Array(picked.length * size);
  picked.forEach((i, j) => x.set(images.x.subarray(i * size, (i + 1) * size), j * size));
  const gzip = (b: Buffer): Buffer => zlib.gzipSync(b, { level: 9 });
  fs.writeFileSync(path.join(out, `${stem}-images-idx3-ubyte.gz`), gzip(encodeIdxImages(x, picked.length, images.rows, images.cols)));
  fs.writeFileSync(path.join(out, `${stem}-labels-idx1-ubyte.gz`), gzip(encodeIdxLabels(picked.map((i) => labels[i]))));
  console.log(`${stem}: ${picked.length} images (${perClass} per class) from ${images.n}`);
}

async function main(): Promise<void> {
  fs.mkdirSync(out, { recursive: true });
  await makeSplit('train', trainPerClass);
  await makeSplit('t10k', testPerClass);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
