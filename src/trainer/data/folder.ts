import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors';
import { Rng } from '../util/rng';
import { fsReason, resolveDataDir } from './files';
import { IMAGE_EXTENSIONS, convertChannels, decodeImage, resizeBilinear, type DecodedImage } from './images';
import { selectRecords, stratifiedSplit } from './subsample';
import type { DataSpec } from '../../protocol/experiment';
import type { DataContext, DataFormat, Split } from './types';

/**
 * A folder of images per class: `train/<class>/*.png|jpg|jpeg` and optionally
 * `test/<class>/...`. Every image is brought to the first image's channel count and to
 * `data.size` (or the first image's size).
 */

/** Without a test/ folder, this share of each class becomes the test split. */
const TEST_SHARE = 0.2;
/**
 * The split-off test part is the same for every experiment seed, so runs with different seeds
 * are scored on the same images.
 */
const TEST_SPLIT_SEED = 0;

interface ImageFile {
  file: string;
  label: number;
}

function subdirs(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch (e) {
    throw new InputError(dir, undefined, fsReason(e));
  }
}

function imagesIn(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => IMAGE_EXTENSIONS.includes(path.extname(f).toLowerCase()) && !f.startsWith('.'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** The images of one split folder, labelled by their class folder's index in `classes`. */
function listSplit(splitDir: string, classes: string[]): ImageFile[] {
  const out: ImageFile[] = [];
  for (const name of subdirs(splitDir)) {
    const label = classes.indexOf(name);
    if (label < 0) {
      throw new InputError(path.join(splitDir, name), undefined, `class "${name}" has no folder in train/ (classes: ${classes.join(', ')})`);
    }
    const files = imagesIn(path.join(splitDir, name));
    if (files.length === 0) throw new InputError(path.join(splitDir, name), undefined, `no images (${IMAGE_EXTENSIONS.join(', ')})`);
    for (const file of files) out.push({ file, label });
  }
  return out;
}

function targetSize(spec: DataSpec, ctx: DataContext): [number, number] | undefined {
  if (spec.size === undefined) return undefined;
  const ok = Array.isArray(spec.size) && spec.size.length === 2 && spec.size.every((d) => Number.isInteger(d) && d > 0 && d <= 4096);
  if (!ok) throw new InputError(ctx.experimentFile, 'data.size', `must be [height, width] in whole pixels 1..4096, got ${JSON.stringify(spec.size)}`);
  return [spec.size[0], spec.size[1]];
}

async function readImage(file: string): Promise<DecodedImage> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (e) {
    throw new InputError(file, undefined, fsReason(e));
  }
  return decodeImage(bytes, file);
}

/** Decodes, converts and resizes `files` into one NHWC split of `shape`. */
async function decodeSplit(files: ImageFile[], shape: [number, number, number], first?: DecodedImage): Promise<Split> {
  const [height, width, channels] = shape;
  const imageBytes = height * width * channels;
  const x = new Uint8Array(files.length * imageBytes);
  const y = new Int32Array(files.length);
  for (let i = 0; i < files.length; i++) {
    const img = i === 0 && first ? first : await readImage(files[i].file);
    resizeBilinear(convertChannels(img, channels as 1 | 3), height, width, x, i * imageBytes);
    y[i] = files[i].label;
  }
  return { x, y, n: files.length };
}

export const folder: DataFormat = {
  name: 'folder',
  expectedFiles: ['train'],
  async load(spec, ctx) {
    const dir = resolveDataDir(spec, ctx);
    const size = targetSize(spec, ctx);
    const trainDir = path.join(dir, 'train');
    const testDir = path.join(dir, 'test');
    if (!fs.existsSync(trainDir)) {
      throw new InputError(ctx.experimentFile, 'data.dir', `no train/ folder in ${dir} (expected train/<class>/*.png|jpg|jpeg)`);
    }
    const classes = subdirs(trainDir);
    if (classes.length === 0) throw new InputError(trainDir, undefined, 'no class folders (expected train/<class>/*.png|jpg|jpeg)');
    const trainFiles = listSplit(trainDir, classes);
    const testFiles = fs.existsSync(testDir) ? listSplit(testDir, classes) : [];

    const first = await readImage(trainFiles[0].file);
    const [height, width] = size ?? [first.height, first.width];
    const shape: [number, number, number] = [height, width, first.channels];
    let train = await decodeSplit(trainFiles, shape, first);
    let test: Split;
    if (testFiles.length > 0) {
      test = await decodeSplit(testFiles, shape);
    } else {
      const parts = stratifiedSplit(train.y, TEST_SHARE, Rng.derive(TEST_SPLIT_SEED, 'folder-test-split'));
      const imageBytes = height * width * first.channels;
      test = selectRecords(train, parts.held, imageBytes);
      train = selectRecords(train, parts.kept, imageBytes);
    }
    return {
      name: path.basename(dir),
      shape,
      numClasses: classes.length,
      labels: classes,
      train,
      test,
      mean: [],
      std: [],
      source: dir,
    };
  },
};
