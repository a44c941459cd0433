import * as tf from '@tensorflow/tfjs-core';
import type { ModelSpec } from '../../protocol/experiment';
import { selectBackend } from '../backend/select';
import { sgdStep } from '../backend/trainingStep';
import { buildModel } from '../models';
import { BENCH_BATCH, BENCH_CLASSES, BENCH_INPUT, benchBatch } from './throughputMeasure';

/**
 * Where a training step's time goes, per kernel, on one backend: the tool behind the kernel
 * work on wasm. Run from sources:
 *   node --import tsx src/trainer/bench/throughputProfile.ts '{"model":"resnet","depth":8,"width":16}' [wasm|cpu] [repeats]
 * With repeats > 1 (default 1) each figure is the median over that many profiled steps, which
 * steadies them on a loaded machine.
 * Note: ops that wrap kernels (names ending in __op) count their kernels' time again.
 */
export async function profileStep(spec: ModelSpec, backend: 'wasm' | 'cpu' = 'wasm', repeats = 1): Promise<string> {
  await selectBackend(backend);
  const built = buildModel(spec, { inputShape: BENCH_INPUT, numClasses: BENCH_CLASSES, seed: 1, experimentFile: 'profile', field: 'net' });
  const { x, oneHot: y } = benchBatch(BENCH_BATCH, 'bench', 'net');
  for (let i = 0; i < 3; i++) await sgdStep(built.model, x, y, 0.01);
  const totals: number[] = [];
  const perKernel = new Map<string, { ms: number[]; calls: number }>();
  let kernelCalls = 0;
  for (let r = 0; r < Math.max(1, repeats); r++) {
    const start = performance.now();
    const info = await tf.profile(async () => {
      await sgdStep(built.model, x, y, 0.01);
    });
    totals.push(performance.now() - start);
    kernelCalls = info.kernels.length;
    const step = new Map<string, { ms: number; calls: number }>();
    for (const k of info.kernels) {
      const e = step.get(k.name) ?? { ms: 0, calls: 0 };
      e.ms += Number(k.kernelTimeMs);
      e.calls++;
      step.set(k.name, e);
    }
    for (const [name, e] of step) {
      const acc = perKernel.get(name) ?? { ms: [], calls: e.calls };
      acc.ms.push(e.ms);
      perKernel.set(name, acc);
    }
  }
  const total = median(totals);
  const byKernel = new Map([...perKernel].map(([name, e]) => [name, { ms: median(e.ms), calls: e.calls }]));
  tf.dispose([x, y]);
  built.model.dispose();
  const rows = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const lines = [`step ${total.toFixed(0)} ms (profiled${repeats > 1 ? `, median of ${repeats}` : ''}), ${kernelCalls} kernel calls`];
  for (const [name, e] of rows) lines.push(`${name.padEnd(32)} ${e.ms.toFixed(1).padStart(8)} ms ${String(e.calls).padStart(5)} calls`);
  return lines.join('\n');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

if (require.main === module) {
  const spec = JSON.parse(process.argv[2] ?? '{"model":"resnet","depth":8,"width":16}') as ModelSpec;
  profileStep(spec, (process.argv[3] as 'wasm' | 'cpu' | undefined) ?? 'wasm', Number(process.argv[4] ?? 1)).then((s) => console.log(s));
}
