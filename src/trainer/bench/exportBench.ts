/**
 * Export benchmark: for every student family (or the runs given) and each format and
 * quantization, the file size and its ratio to float32, test accuracy float vs exported,
 * the largest logit difference from the trained tf.js student, and latency per image at
 * batch 1 in onnxruntime-node and tf.js. Targets (printed, not asserted): uint8 files <= 27%
 * of float32, accuracy drop from quantization <= 0.5 points, float ONNX vs tf.js <= 1e-4.
 *
 *   node --import tsx src/trainer/bench/exportBench.ts [--backend wasm|cpu] [run dir...]
 *
 * Without run directories it makes one student per family on Fashion-MNIST (the builtin mini
 * set; 2000 training images fit its batch norms and dense head, no gradient training) and
 * verifies on 1000 test images.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { selectBackend } from '../backend/select';
import { loadDataset } from '../data';
import { exportRun, type TestSet } from '../export';
import { CARD_JSON, type ModelCard } from '../export/card';
import { makeRunDir, makeStudent, type StudentData } from './syntheticStudents';

const FAMILIES: { family: string; width: number }[] = [
  { family: 'cnn', width: 8 },
  { family: 'resnet', width: 16 },
  { family: 'mobilenet', width: 16 },
];
const FORMATS = (process.env.F ?? 'tfjs,onnx').split(',');
const QUANTIZE = (process.env.Q ?? 'none,float16,uint8').split(',');

interface Row {
  student: string;
  format: string;
  quantize: string;
  bytes: number;
  ratio: number;
  floatAcc: number;
  acc: number;
  maxDiff: number;
  ortMs: number;
  tfjsMs: number;
}

async function students(runDirs: string[]): Promise<{ name: string; runDir: string; testSet?: TestSet }[]> {
  if (runDirs.length) return runDirs.map((d) => ({ name: path.basename(path.resolve(d)), runDir: d }));
  const experimentFile = path.join(process.cwd(), 'bench-export.skd.json');
  const ds = await loadDataset({ format: 'builtin', name: 'fashion-mnist-mini', limit: { train: 2000, test: 1000 } }, { experimentFile, baseDir: process.cwd() }, 1);
  const data: StudentData = { shape: ds.shape, classes: ds.numClasses, labels: ds.labels, mean: ds.mean, std: ds.std, calibration: ds.train };
  const out = [];
  for (const { family, width } of FAMILIES) {
    const runDir = await makeRunDir(makeStudent(family, width, data), family, data);
    out.push({ name: `${family} w${width}`, runDir, testSet: ds.test });
  }
  return out;
}

async function main(argv: string[]): Promise<void> {
  const b = argv.indexOf('--backend');
  const backend = b >= 0 ? argv.splice(b, 2)[1] : 'wasm';
  const used = await selectBackend(backend === 'cpu' ? 'cpu' : 'wasm');
  process.stdout.write(`tf.js backend: ${used.detail}; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'})\n\n`);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-bench-export-'));
  const rows: Row[] = [];
  try {
    for (const s of await students(argv)) {
      const floatBytes: Record<string, number> = {};
      for (const format of FORMATS) {
        for (const quantize of QUANTIZE) {
          const r = await exportRun(s.runDir, { format, quantize, testSet: s.testSet, outDir: path.join(scratch, `${s.name}-${format}-${quantize}`) });
          const card = JSON.parse(fs.readFileSync(path.join(r.outDir, CARD_JSON), 'utf8')) as ModelCard;
          // `bytes` counts what a device loads (the model files), not the card.
          if (quantize === 'none') floatBytes[format] = r.bytes;
          const bytes = r.bytes;
          const ms = (f: string) => card.latency.find((l) => l.format === f)?.msPerImage ?? NaN;
          rows.push({ student: s.name, format, quantize, bytes, ratio: bytes / floatBytes[format], floatAcc: card.accuracy.float, acc: r.accuracy, maxDiff: r.maxAbsLogitDiff, ortMs: ms('onnx'), tfjsMs: ms('tfjs') });
          const last = rows[rows.length - 1];
          process.stdout.write(line(last) + '\n');
        }
      }
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  process.stdout.write('\n' + targets(rows).join('\n') + '\n');
}


function line(r: Row): string {
  return [
    r.student.padEnd(14),
    r.format.padEnd(5),
    r.quantize.padEnd(8),
    `${r.bytes.toLocaleString('en').padStart(9)} B`,
    `${(r.ratio * 100).toFixed(1).padStart(5)}% of f32`,
    `acc ${(r.floatAcc * 100).toFixed(2)} -> ${(r.acc * 100).toFixed(2)}`,
    `max|dlogit| ${r.maxDiff.toExponential(2)}`,
    `ort ${r.ortMs.toFixed(3)} ms`,
    `tfjs ${r.tfjsMs.toFixed(3)} ms`,
  ].join('  ');
}

function targets(rows: Row[]): string[] {
  const mark = (ok: boolean) => (ok ? 'ok  ' : 'MISS');
  const out = ['targets:'];
  for (const r of rows.filter((x) => x.quantize === 'uint8')) {
    out.push(`  ${mark(r.ratio <= 0.27)} ${r.student} ${r.format} uint8 size ${(r.ratio * 100).toFixed(1)}% of float32 (<= 27%)`);
  }
  for (const r of rows.filter((x) => x.quantize !== 'none')) {
    const drop = (r.floatAcc - r.acc) * 100;
    out.push(`  ${mark(drop <= 0.5 + 1e-9)} ${r.student} ${r.format} ${r.quantize} accuracy drop ${drop.toFixed(2)} points (<= 0.5)`);
  }
  for (const r of rows.filter((x) => x.format === 'onnx' && x.quantize === 'none')) {
    out.push(`  ${mark(r.maxDiff <= 1e-4)} ${r.student} float ONNX vs tf.js largest logit difference ${r.maxDiff.toExponential(2)} (<= 1e-4)`);
  }
  return out;
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`bench exportBench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
