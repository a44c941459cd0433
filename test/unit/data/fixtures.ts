// Small data files written into a temporary folder for the data format tests: real bytes in
// the real formats (IDX, CIFAR binary, PNG, JPEG), nothing mocked.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { InputError } from '../../../src/trainer/errors';
import { encodeIdxImages, encodeIdxLabels } from '../../../src/trainer/data/idxFile';
import type { DataContext } from '../../../src/trainer/data/types';

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-data-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function contextIn(dir: string): DataContext {
  return { experimentFile: path.join(dir, 'exp.skd.json'), baseDir: dir };
}

/** Images whose every byte is predictable: image i, pixel p holds (7 * i + p) mod 256. */
export function patternImages(n: number, size: number): Uint8Array {
  const x = new Uint8Array(n * size);
  for (let i = 0; i < n; i++) for (let p = 0; p < size; p++) x[i * size + p] = (7 * i + p) % 256;
  return x;
}

/** Labels 0, 1, ..., k-1, 0, 1, ... */
export function cyclicLabels(n: number, k: number): number[] {
  return Array.from({ length: n }, (_, i) => i % k);
}

export interface IdxFixture {
  trainX: Uint8Array;
  trainY: number[];
  testX: Uint8Array;
  testY: number[];
}

/** Writes the four MNIST-family files; `gzip` compresses them, `suffix` is added to their names. */
export function writeIdxDir(dir: string, rows: number, cols: number, nTrain: number, nTest: number, k: number, opts: { gzip?: boolean; suffix?: string } = {}): IdxFixture {
  fs.mkdirSync(dir, { recursive: true });
  const f: IdxFixture = {
    trainX: patternImages(nTrain, rows * cols),
    trainY: cyclicLabels(nTrain, k),
    testX: patternImages(nTest, rows * cols).map((v) => 255 - v),
    testY: cyclicLabels(nTest, k).reverse(),
  };
  const write = (name: string, b: Buffer): void => fs.writeFileSync(path.join(dir, name + (opts.suffix ?? '')), opts.gzip ? zlib.gzipSync(b) : b);
  write('train-images-idx3-ubyte', encodeIdxImages(f.trainX, nTrain, rows, cols));
  write('train-labels-idx1-ubyte', encodeIdxLabels(f.trainY));
  write('t10k-images-idx3-ubyte', encodeIdxImages(f.testX, nTest, rows, cols));
  write('t10k-labels-idx1-ubyte', encodeIdxLabels(f.testY));
  return f;
}

/**
 * One CIFAR record: label byte(s), then the 32x32 red, green and blue planes. Pixel (y, x) of
 * channel k holds (seed + 3 * (y * 32 + x) + k) mod 256, so CHW-to-HWC mistakes show.
 */
export function cifarRecord(labels: number[], seed: number): Buffer {
  const b = Buffer.alloc(labels.length + 3072);
  labels.forEach((l, i) => (b[i] = l));
  for (let k = 0; k < 3; k++) for (let p = 0; p < 1024; p++) b[labels.length + k * 1024 + p] = (seed + 3 * p + k) % 256;
  return b;
}

/** The value cifarRecord puts at HWC position p*3+k. */
export function cifarPixel(seed: number, p: number, k: number): number {
  return (seed + 3 * p + k) % 256;
}

export function writePng(file: string, width: number, height: number, rgba: (x: number, y: number) => [number, number, number, number], colorType: 0 | 2 | 6 = 6): void {
  const png = new PNG({ width, height, colorType, inputColorType: 6, inputHasAlpha: true });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) png.data.set(rgba(x, y), 4 * (y * width + x));
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, PNG.sync.write(png, { colorType, inputColorType: 6, inputHasAlpha: true }));
}

export function writeJpeg(file: string, width: number, height: number, rgb: (x: number, y: number) => [number, number, number]): void {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([...rgb(x, y), 255], 4 * (y * width + x));
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, jpeg.encode({ data, width, height }, 95).data);
}

/** Asserts the promise fails with an InputError naming `file` (and `field`) whose reason contains `reason`. */
export async function rejectsWith(p: Promise<unknown>, file: string, reason: string | RegExp, field?: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
    assert.equal(e.file, file);
    if (field !== undefined) assert.equal(e.field, field);
    if (typeof reason === 'string') assert.ok(e.reason.includes(reason), `reason "${e.reason}" lacks "${reason}"`);
    else assert.match(e.reason, reason);
    assert.ok(!e.message.includes('\n'), 'one line');
    assert.ok(e.message.startsWith(file), 'the message names the file first');
    return true;
  });
}

/**
 * A one-component (greyscale) baseline JPEG of one flat 8x8 block, built by hand because
 * jpeg-js only encodes colour: quantisation all 1, one-symbol Huffman tables, and a scan whose
 * DC coefficient 8 * (value - 128) is the only non-zero one (value 150 gives DC 176, category 8).
 */
export function greyJpeg8x8Value150(): Buffer {
  const ones = Array<number>(64).fill(1);
  const oneCodeOfLength1 = [1, ...Array<number>(15).fill(0)];
  return Buffer.from([
    0xff, 0xd8, // SOI
    0xff, 0xdb, 0, 67, 0, ...ones, // DQT
    0xff, 0xc0, 0, 11, 8, 0, 8, 0, 8, 1, 1, 0x11, 0, // SOF0: 8x8, one component
    0xff, 0xc4, 0, 20, 0x00, ...oneCodeOfLength1, 8, // DHT DC: category 8 is code "0"
    0xff, 0xc4, 0, 20, 0x10, ...oneCodeOfLength1, 0, // DHT AC: end of block is code "0"
    0xff, 0xda, 0, 8, 1, 1, 0x00, 0, 63, 0, // SOS
    0x58, 0x3f, // bits 0 10110000 0, padded with ones
    0xff, 0xd9, // EOI
  ]);
}
