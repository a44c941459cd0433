import { alignColumns, fmtNumber, fmtRatio, ratio } from './throughputStats';

/**
 * The shape of a profiled training step, the same for SKD Lab (src/trainer/bench/profileStep.ts)
 * and for PyTorch (bench/pytorch_peer.py --profile), and the side-by-side table of the two that
 * `skd bench --profile` prints. Op kinds come from the layer (module) a kernel ran in and the
 * direction of the step, so that a `Mean` in batch norm and one in global pooling land in
 * different rows, as PyTorch's ops do.
 */

/** Rows in the order they are printed; `bwd` rows hold the gradient kernels of that layer kind. */
export const OP_KINDS = [
  'conv2d fwd',
  'conv2d bwd',
  'depthwise conv2d fwd',
  'depthwise conv2d bwd',
  'batchnorm fwd',
  'batchnorm bwd',
  'relu fwd',
  'relu bwd',
  'add (residual) fwd',
  'add (residual) bwd',
  'pooling fwd',
  'pooling bwd',
  'matmul (dense) fwd',
  'matmul (dense) bwd',
  'softmax / loss fwd',
  'softmax / loss bwd',
  'gradient accumulation',
  'optimizer update',
  'other kernels',
] as const;
export type OpKind = (typeof OP_KINDS)[number];

/** Sub-rows printed under a kind: detail name -> label. Convolution gradients split into their two halves. */
export const KIND_DETAILS: Partial<Record<OpKind, [string, string][]>> = {
  'conv2d bwd': [
    ['backprop-input', 'of which backprop-input'],
    ['backprop-filter', 'of which backprop-filter'],
  ],
  'depthwise conv2d bwd': [
    ['backprop-input', 'of which backprop-input'],
    ['backprop-filter', 'of which backprop-filter'],
  ],
};

/** The layer family of a tf.js layer class or a PyTorch module class. */
export function familyOf(className: string): string | null {
  switch (className) {
    case 'Conv2D':
    case 'Conv2d':
      return 'conv2d';
    case 'DepthwiseConv2D':
    case 'DepthwiseConv2d':
      return 'depthwise conv2d';
    case 'BatchNormalization':
    case 'BatchNorm2d':
      return 'batchnorm';
    case 'ReLU':
      return 'relu';
    case 'Add':
      return 'add (residual)';
    case 'MaxPooling2D':
    case 'GlobalAveragePooling2D':
    case 'MaxPool2d':
    case 'GlobalAvgPool':
      return 'pooling';
    case 'Dense':
    case 'Linear':
      return 'matmul (dense)';
    case 'Loss':
      return 'softmax / loss';
    default:
      return null;
  }
}

export type Direction = 'fwd' | 'bwd';

/** The row a kernel's time goes to, from the layer it ran in and the direction. */
export function opKind(className: string, direction: Direction): OpKind {
  const family = familyOf(className);
  if (family === null) return 'other kernels';
  return `${family} ${direction}` as OpKind;
}

/** The detail name of a convolution-gradient kernel (tf.js kernel names), else the kernel's own name. */
export function kernelDetail(kernelName: string): string {
  if (kernelName === 'Conv2DBackpropInput' || kernelName === 'DepthwiseConv2dNativeBackpropInput') return 'backprop-input';
  if (kernelName === 'Conv2DBackpropFilter' || kernelName === 'DepthwiseConv2dNativeBackpropFilter') return 'backprop-filter';
  return kernelName;
}

export interface LayerProfile {
  name: string;
  type: string;
  fwdMs: number;
  bwdMs: number;
}

export interface StepProfile {
  /** e.g. "SKD Lab wasm" or "PyTorch 1.13.1". */
  framework: string;
  threads: number;
  network: string;
  batch: number;
  /** Median wall time of unprofiled steps. */
  stepMs: number;
  /** Median wall time of the profiled steps (the profiler's own cost shows as the difference). */
  profiledStepMs: number;
  /** Kernel (op) time per step by kind, medians over the profiled steps. */
  kernelMs: Partial<Record<OpKind, number>>;
  /** Per kind, time per kernel (op) name; convolution gradients also under backprop-input / backprop-filter. */
  detailMs: Partial<Record<OpKind, Record<string, number>>>;
  /** stepMs less all kernel time: the framework's own work between kernels. */
  betweenMs: number;
  /** Measured parts of betweenMs (JavaScript: dispatch, tape, allocation, reads, layers API ...). */
  betweenParts: Record<string, number>;
  /** Per layer, forward and backward kernel time; in forward order. */
  layers: LayerProfile[];
  kernelCalls: number;
  steps: number;
  notes: string[];
}

export const BETWEEN_LABEL = 'JS between kernels';

function share(ms: number | undefined, total: number): string {
  return ms === undefined || !(total > 0) ? '-' : `${((100 * ms) / total).toFixed(1)}%`;
}

/**
 * One table, rows by op kind, columns ms per step and share of the step for SKD Lab and for
 * PyTorch, and their ratio. Kinds neither side has are left out.
 */
export function formatProfileTable(skd: StepProfile, torch: StepProfile | null): string {
  const header = ['op kind', `${skd.framework} ms/step`, 'share', torch ? `${torch.framework} ms/step` : 'peer', 'share', 'ratio'];
  const rows: string[][] = [header];
  const add = (label: string, a: number | undefined, b: number | undefined): void => {
    rows.push([label, fmtNumber(a), share(a, skd.stepMs), torch ? fmtNumber(b) : '-', torch ? share(b, torch.stepMs) : '-', fmtRatio(ratio(a, b))]);
  };
  for (const kind of OP_KINDS) {
    const a = skd.kernelMs[kind];
    const b = torch?.kernelMs[kind];
    if (a === undefined && b === undefined) continue;
    add(kind, a, b);
    for (const [detail, label] of KIND_DETAILS[kind] ?? []) {
      const da = skd.detailMs[kind]?.[detail];
      const db = torch?.detailMs[kind]?.[detail];
      if (da !== undefined || db !== undefined) add(`  ${label}`, da, db);
    }
  }
  add(torch ? `${BETWEEN_LABEL} / between ops` : BETWEEN_LABEL, skd.betweenMs, torch?.betweenMs);
  const parts = new Set([...Object.keys(skd.betweenParts), ...Object.keys(torch?.betweenParts ?? {})]);
  for (const part of parts) add(`  of which ${part}`, skd.betweenParts[part], torch?.betweenParts[part]);
  add('step (unprofiled)', skd.stepMs, torch?.stepMs);
  const lines = [
    `${skd.network}, batch ${skd.batch}: ${skd.framework} ${skd.threads} thread${skd.threads === 1 ? '' : 's'}` +
      (torch ? ` against ${torch.framework} ${torch.threads} thread${torch.threads === 1 ? '' : 's'}` : ' (no PyTorch peer)'),
    alignColumns(rows),
  ];
  const notes = [...skd.notes.map((n) => `${skd.framework}: ${n}`), ...(torch?.notes ?? []).map((n) => `${torch?.framework}: ${n}`)];
  if (notes.length) lines.push(...notes.map((n) => `  note: ${n}`));
  return lines.join('\n');
}

/** Per layer, forward and backward kernel time of one side, the `top` costliest layers (forward order kept). */
export function formatLayerTable(p: StepProfile, top = 12): string {
  const costly = new Set([...p.layers].sort((a, b) => b.fwdMs + b.bwdMs - (a.fwdMs + a.bwdMs)).slice(0, top).map((l) => l.name));
  const rows: string[][] = [[`${p.framework}: layer`, 'type', 'fwd ms', 'bwd ms', 'share']];
  for (const l of p.layers) {
    if (!costly.has(l.name)) continue;
    rows.push([l.name, l.type, fmtNumber(l.fwdMs), fmtNumber(l.bwdMs), share(l.fwdMs + l.bwdMs, p.stepMs)]);
  }
  const shown = p.layers.length > top ? ` (the ${top} costliest of ${p.layers.length})` : '';
  return `${alignColumns(rows)}${shown ? `\n${shown.trim()}` : ''}`;
}
