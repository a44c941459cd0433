import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { ExportResult } from '../../protocol/lsp';
import { RUN_FILES } from '../../protocol/runDir';
import { InputError } from '../errors';
import { writeFileAtomic, writeJsonAtomic } from '../runDir/atomicFile';
import { CARD_JSON, CARD_MD, inputSpec, renderCard, type ModelCard } from './card';
import { countMacs, countParams } from './graph';
import { fileBytes, latencyMs, predictAll } from './measure';
import { onnxFormat } from './onnxFormat';
import { QUANTIZE_MODES, type Quantize } from './quantize';
import { loadRunTestSet, loadStudent, normalisedImages } from './student';
import { tfjsFormat } from './tfjsFormat';
import type { ExportFormat, Student, TestSet } from './types';
import { compareLogits, describeTolerance, TOLERANCES } from './verify';

export type { ExportFormat, Predictor, Student, StudentMeta, TestSet } from './types';
export type { Quantize } from './quantize';
export { UnsupportedLayerError } from './graph';

/** Export formats by name; a plugin module adds one with `registerExportFormat`. */
const formats = new Map<string, ExportFormat>([tfjsFormat, onnxFormat].map((f) => [f.name, f]));

export function registerExportFormat(format: ExportFormat): void {
  formats.set(format.name, format);
}

export function exportFormatNames(): string[] {
  return [...formats.keys()];
}

export interface ExportOptions {
  format: string;
  quantize?: string;
  /** Default `<run>/exports/<format>-<quantize>/`. */
  outDir?: string;
  /** The images to verify on; default the test split of the run's experiment. */
  testSet?: TestSet;
  /**
   * At most this many test images are run (default: all of them, so the card's accuracy is the
   * run's own test accuracy, on the same named test split, not a second figure on a subset).
   */
  maxImages?: number;
}

/** An export that failed its check against the trained student; nothing was left on disk. */
export class ExportVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportVerificationError';
  }
}

/**
 * Exports a run's student in one format, checks it against the trained student in the
 * format's own runtime, and writes a model card beside it. The files are written to a
 * temporary sibling of the target and renamed into place only once the check passed, so the
 * target is either the previous complete export or the new one.
 */
export async function exportRun(runDir: string, opts: ExportOptions): Promise<ExportResult> {
  const format = formats.get(opts.format);
  if (!format) throw new InputError(runDir, 'format', `unknown export format "${opts.format}" (known: ${exportFormatNames().join(', ')})`);
  const quantize = (opts.quantize ?? 'none') as Quantize;
  if (!QUANTIZE_MODES.includes(quantize)) throw new InputError(runDir, 'quantize', `must be one of ${QUANTIZE_MODES.join(', ')}, got "${opts.quantize}"`);
  await tf.ready();
  const student = await loadStudent(runDir);
  const outDir = path.resolve(opts.outDir ?? path.join(runDir, RUN_FILES.exports, `${format.name}-${quantize}`));
  const testSet = opts.testSet ?? (await loadRunTestSet(runDir));
  const n = Math.min(testSet.n, opts.maxImages ?? testSet.n);
  if (n === 0) throw new InputError(runDir, 'test set', 'no test images to verify the export on');

  const parent = path.dirname(outDir);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(outDir)}.tmp-`));
  try {
    const files = await format.write(student, quantize, tmp);
    const x = normalisedImages(testSet, n, student.meta);
    const shape = student.meta.inputShape;
    const reference = referenceLogits(student, x, n);
    const exported = await format.load(tmp);
    let check;
    try {
      check = compareLogits(reference, await predictAll(exported, x, n, shape), testSet.y, n, TOLERANCES[quantize]);
    } finally {
      await exported.dispose();
    }
    if (check.failure) throw new ExportVerificationError(`${format.name} export (${quantize}) of ${runDir} failed verification in ${exported.runtime}: ${check.failure}`);

    const card = await modelCard(student, format, quantize, { dir: tmp, files }, x.subarray(0, shape[0] * shape[1] * shape[2]));
    card.accuracy = { testSet: testSet.name ?? 'the given test images', testImages: n, float: check.referenceAccuracy, exported: check.accuracy };
    card.verification = { runtime: exported.runtime, maxAbsLogitDiff: check.maxAbsLogitDiff, bound: check.logitBound, tolerance: describeTolerance(TOLERANCES[quantize]) };
    writeJsonAtomic(path.join(tmp, CARD_JSON), card);
    writeFileAtomic(path.join(tmp, CARD_MD), renderCard(card));
    replaceDir(tmp, outDir);
    const all = [...files, CARD_MD, CARD_JSON];
    return { outDir, files: all, bytes: card.bytes, maxAbsLogitDiff: check.maxAbsLogitDiff, accuracy: check.accuracy, testSet: card.accuracy.testSet, testImages: n, card: path.join(outDir, CARD_MD) };
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

function referenceLogits(student: Student, x: Float32Array, n: number): Float32Array {
  const [h, w, c] = student.meta.inputShape;
  const out: Float32Array[] = [];
  for (let i = 0; i < n; i += 128) {
    const m = Math.min(128, n - i);
    const y = tf.tidy(() => {
      const p = student.model.predict(tf.tensor4d(x.subarray(i * h * w * c, (i + m) * h * w * c), [m, h, w, c]));
      return Array.isArray(p) ? p[0] : p;
    });
    out.push(y.dataSync() as Float32Array);
    y.dispose();
  }
  const all = new Float32Array(out.reduce((k, a) => k + a.length, 0));
  out.reduce((at, a) => (all.set(a, at), at + a.length), 0);
  return all;
}

/**
 * The card's sizes and latencies come from every registered format at float32 and at this
 * quantization (the others written to a scratch folder), so one card compares them all.
 */
async function modelCard(student: Student, format: ExportFormat, quantize: Quantize, written: { dir: string; files: string[] }, image: Float32Array): Promise<ModelCard> {
  const sizes: ModelCard['sizes'] = [];
  const latency: ModelCard['latency'] = [];
  const snippets: Record<string, string> = {};
  const scratchRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-export-card-'));
  try {
    for (const f of formats.values()) {
      const bytes: Partial<Record<Quantize, number>> = {};
      for (const q of new Set<Quantize>(['none', quantize])) {
        let dir = written.dir;
        let files = written.files;
        if (f !== format || q !== quantize) {
          dir = fs.mkdtempSync(path.join(scratchRoot, `${f.name}-${q}-`));
          files = await f.write(student, q, dir);
        }
        bytes[q] = fileBytes(dir, files);
        sizes.push({ format: f.name, quantize: q, bytes: bytes[q] as number, ratioToFloat32: (bytes[q] as number) / (bytes.none as number) });
        if (q === quantize) {
          const p = await f.load(dir);
          try {
            latency.push({ format: f.name, runtime: p.runtime, msPerImage: await latencyMs(p, image, student.meta.inputShape) });
          } finally {
            await p.dispose();
          }
          for (const [env, code] of Object.entries(f.snippets(files, student.meta))) snippets[env] = `// ${f.name} export\n${code}`.replace(/^\/\/ (.*)\nimport/, '# $1\nimport');
        }
      }
    }
  } finally {
    fs.rmSync(scratchRoot, { recursive: true, force: true });
  }
  const files = written.files.map((name) => ({ name, bytes: fs.statSync(path.join(written.dir, name)).size }));
  return {
    name: readRunName(student.runDir),
    family: student.meta.family,
    format: format.name,
    quantize,
    created: new Date().toISOString(),
    files,
    bytes: files.reduce((k, f) => k + f.bytes, 0),
    parameters: countParams(student.graph),
    macs: countMacs(student.graph),
    input: inputSpec(student.meta),
    accuracy: { testSet: '', testImages: 0, float: 0, exported: 0 },
    verification: { runtime: '', maxAbsLogitDiff: 0, bound: 0, tolerance: '' },
    sizes,
    latency,
    snippets,
  };
}

function readRunName(runDir: string): string {
  try {
    const s = JSON.parse(fs.readFileSync(path.join(runDir, RUN_FILES.summary), 'utf8')) as { name?: string };
    if (typeof s.name === 'string') return s.name;
  } catch {
    // No summary (an unfinished or copied run): the folder's name serves.
  }
  return path.basename(path.resolve(runDir));
}

/** Puts `tmp` at `target`, replacing a previous export there by two renames. */
function replaceDir(tmp: string, target: string): void {
  if (!fs.existsSync(target)) {
    fs.renameSync(tmp, target);
    return;
  }
  const old = `${tmp}.old`;
  fs.renameSync(target, old);
  fs.renameSync(tmp, target);
  fs.rmSync(old, { recursive: true, force: true });
}
