import { EXPORT_FILES } from '../../protocol/runDir';
import type { Quantize } from './quantize';
import type { StudentMeta } from './types';

export const CARD_MD = EXPORT_FILES.cardMd;
export const CARD_JSON = EXPORT_FILES.cardJson;

/** What `model-card.json` holds; `MODEL_CARD.md` says the same for people. */
export interface ModelCard {
  name: string;
  family: string;
  format: string;
  quantize: Quantize;
  created: string;
  files: { name: string; bytes: number }[];
  bytes: number;
  /** Trainable parameters of the student (batch-norm scale and shift included). */
  parameters: number;
  /** Multiply-accumulates per image in convolutions and dense layers. */
  macs: number;
  input: {
    shape: number[];
    layout: 'NHWC';
    dtype: 'float32';
    normalisation: string;
    mean: number[];
    std: number[];
    labels: string[];
  };
  /** `testSet` names the split (e.g. `fashion-mnist-mini (builtin) test split`), the one the run reports. */
  accuracy: { testSet: string; testImages: number; float: number; exported: number };
  verification: { runtime: string; maxAbsLogitDiff: number; bound: number; tolerance: string };
  /** Size of each format at float32 and at this export's quantization. */
  sizes: { format: string; quantize: Quantize; bytes: number; ratioToFloat32: number }[];
  /** Median per image at batch 1, this export's quantization. */
  latency: { format: string; runtime: string; msPerImage: number }[];
  snippets: Record<string, string>;
}

export const NORMALISATION = '(pixel / 255 - mean[c]) / std[c] for each channel c, pixels as float32 NHWC';

export function inputSpec(meta: StudentMeta): ModelCard['input'] {
  return {
    shape: [1, ...meta.inputShape],
    layout: 'NHWC',
    dtype: 'float32',
    normalisation: NORMALISATION,
    mean: meta.mean,
    std: meta.std,
    labels: meta.labels,
  };
}

export function renderCard(c: ModelCard): string {
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
  const lines = [
    `# ${c.name}: ${c.family} student (${c.format}, ${c.quantize === 'none' ? 'float32' : c.quantize} weights)`,
    '',
    `Exported by SKD Lab on ${c.created}.`,
    '',
    '| | |',
    '|---|---|',
    `| Parameters | ${c.parameters.toLocaleString('en')} |`,
    `| MACs per image | ${c.macs.toLocaleString('en')} |`,
    `| Files | ${c.files.map((f) => `\`${f.name}\` (${kb(f.bytes)})`).join(', ')} |`,
    `| Test accuracy, float student | ${pct(c.accuracy.float)} (${c.accuracy.testSet}, ${c.accuracy.testImages.toLocaleString('en')} images) |`,
    `| Test accuracy, this export | ${pct(c.accuracy.exported)} |`,
    `| Largest logit difference | ${c.verification.maxAbsLogitDiff.toExponential(2)} (bound ${c.verification.bound.toExponential(2)}, in ${c.verification.runtime}) |`,
    '',
    '## Size per format',
    '',
    '| Format | Weights | Bytes | Of float32 |',
    '|---|---|---|---|',
    ...c.sizes.map((s) => `| ${s.format} | ${s.quantize === 'none' ? 'float32' : s.quantize} | ${s.bytes.toLocaleString('en')} | ${pct(s.ratioToFloat32)} |`),
    '',
    '## Latency per image (batch 1, median)',
    '',
    '| Format | Runtime | ms |',
    '|---|---|---|',
    ...c.latency.map((l) => `| ${l.format} | ${l.runtime} | ${l.msPerImage.toFixed(3)} |`),
    '',
    '## Input',
    '',
    `- Shape ${JSON.stringify(c.input.shape)} (${c.input.layout}, ${c.input.dtype}); batch size is free.`,
    `- Normalisation: ${c.input.normalisation}, mean ${JSON.stringify(c.input.mean)}, std ${JSON.stringify(c.input.std)}.`,
    `- Output: ${c.input.labels.length} logits (softmax for probabilities), in label order: ${c.input.labels.map((l, i) => `${i} ${l}`).join(', ')}.`,
    '',
    '## Verification',
    '',
    `After writing, the files were loaded fresh in ${c.verification.runtime} and run on ${c.accuracy.testImages} test images; tolerance: ${c.verification.tolerance}.`,
    '',
    '## Loading',
    '',
    ...Object.entries(c.snippets).flatMap(([env, code]) => [`${snippetTitle(env)}:`, '', '```' + snippetLang(env), code, '```', '']),
  ];
  return lines.join('\n');
}

function snippetTitle(env: string): string {
  return { browser: 'Browser (tf.js)', node: 'Node (onnxruntime-node)', python: 'Python (onnxruntime)' }[env] ?? env;
}

function snippetLang(env: string): string {
  return env === 'python' ? 'python' : 'js';
}
